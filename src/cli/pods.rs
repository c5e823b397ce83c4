//! `podcap pods [-o wide|json] [--root DIR] [-n NAMESPACE] [--no-netns]`:
//! the pods of this node from its own files ([`crate::pods`]), like
//! `crictl pods` with the network side, without a runtime socket.

use crate::pods::{self, Options, Root, State};
use crate::{Error, Result};
use argh::FromArgs;
use std::io::Write;

/// The pods on this node, from the kubelet's, the runtime's and CNI's files.
#[derive(FromArgs)]
struct PodsArgs {
    /// output format: wide (UID, state, sandbox, containers, PID, sources) or json
    #[argh(option, short = 'o')]
    output: Option<String>,
    /// the node's root directory (kubectl debug node mounts it at /host;
    /// default: $PODCAP_ROOT, else /host when the node's files are there, else /)
    #[argh(option)]
    root: Option<String>,
    /// only pods of this namespace
    #[argh(option, short = 'n')]
    namespace: Option<String>,
    /// do not enter the pods' network namespaces (IPs then come from the files alone)
    #[argh(switch)]
    no_netns: bool,
    /// include pods of which only files remain
    #[argh(switch, short = 'a')]
    all: bool,
}

pub fn main(args: &[String]) -> Result<i32> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let p = match PodsArgs::from_args(&["podcap", "pods"], &a) {
        Ok(p) => p,
        Err(e) if e.status.is_ok() => {
            print!("{}", e.output);
            return Ok(0);
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "podcap pods: {}", e.output.trim_end());
            return Ok(crate::error::Kind::Usage.exit_status());
        }
    };
    let (wide, json) = match p.output.as_deref() {
        None => (false, false),
        Some("wide") => (true, false),
        Some("json") => (false, true),
        Some(o) => {
            return Err(Error::usage(format!(
                "-o {o}: the formats are wide and json"
            )));
        }
    };
    let opts = Options {
        root: Root::choose(p.root.as_deref()),
        enter: !p.no_netns,
    };
    let mut inv = pods::discover(&opts)?;
    inv.pods.retain(|pod| {
        (p.all || pod.state == State::Running)
            && p.namespace
                .as_deref()
                .is_none_or(|n| pod.namespace.as_deref() == Some(n))
    });
    let body = if json {
        inv.json() + "\n"
    } else {
        inv.text(wide)
    };
    let mut o = std::io::stdout().lock();
    o.write_all(body.as_bytes())
        .and_then(|_| o.flush())
        .map_err(|e| Error::os("write to stdout", e, None))?;
    let _ = std::io::stderr().write_all(inv.notes(wide).as_bytes());
    Ok(0)
}
