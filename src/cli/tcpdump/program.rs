//! `-d`, `-dd`, `-ddd`: the compiled filter program instead of a capture.

use super::listings::native_linktype;
use super::read;
use super::settings::Settings;
use crate::Result;
use crate::bpf::print::{self, Style};
use crate::bpf::{Insn, op};
use crate::linktype::LinkType;

/// Compiles the filter; `snaplen` is the capture's (or, for `-r`, the
/// file's, as tcpdump uses it). An empty filter accepts everything.
pub(super) fn compile(o: &Settings, lt: LinkType, live: bool, snaplen: u32) -> Result<Vec<Insn>> {
    if o.filter.trim().is_empty() {
        return Ok(vec![Insn::stmt(op::RET | op::K, snaplen)]);
    }
    crate::filter::compile(&o.filter, &o.filter_options(lt, live, snaplen))
}

fn dump(o: &Settings, style: Style, lt: LinkType, live: bool, snaplen: u32) -> Result<i32> {
    let prog = compile(o, lt, live, snaplen)?;
    print!("{}", print::format(&prog, style));
    Ok(0)
}

/// For a live capture on the first interface: `-y`'s link type, else the
/// interface's own.
pub fn dump_for_interface(o: &Settings, style: Style) -> Result<i32> {
    let lt = match (o.linktype, o.interfaces.first()) {
        (Some(l), _) => l,
        (None, Some(i)) => native_linktype(i)?,
        (None, None) => LinkType::En10mb,
    };
    dump(o, style, lt, true, o.snaplen)
}

/// With `-r`: for the link type and snap length of the file's first
/// interface, as tcpdump compiles for the file it reads.
pub fn dump_for_file(o: &Settings, style: Style, path: &str) -> Result<i32> {
    let file = read::File::open(path)?;
    let (lt, snap) = match file.interfaces.first() {
        Some(i) => (read::linktype_of(path, i.linktype)?, read::file_snaplen(i)),
        None => (LinkType::En10mb, o.snaplen),
    };
    dump(o, style, lt, false, snap)
}
