//! `tcpdump -d`, `-dd` and `-ddd` renderings of a program, byte for byte,
//! and the reverse (reading `-d` and `-ddd` text back into instructions).

use super::Insn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `-d`: human-readable assembly.
    D,
    /// `-dd`: C array fragment.
    Dd,
    /// `-ddd`: decimal numbers, count first.
    Ddd,
}

pub fn format(prog: &[Insn], style: Style) -> String {
    let _ = (prog, style);
    String::new()
}
