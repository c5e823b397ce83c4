//! Debian's tcpdump (and so libpcap 1.10) as the test oracle, and pcap
//! headers.

use std::path::PathBuf;
use std::process::Command;

use podcap::linktype::LinkType;

/// A pcap file header (version 2.4, no time zone).
pub fn pcap_header(magic: u32, snaplen: u32, linktype: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&magic.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&snaplen.to_le_bytes());
    h.extend_from_slice(&linktype.to_le_bytes());
    h
}

/// `tcpdump -d/-dd/-ddd -r EMPTY.pcap -- EXPR`: libpcap compiling for a
/// savefile of the link type, with the empty savefiles in a private
/// scratch directory.
pub struct Tcpdump {
    dir: super::TempDir,
}

impl Tcpdump {
    /// `None` (said visibly) when tcpdump is not installed.
    pub fn find() -> Option<Tcpdump> {
        let ok = Command::new("tcpdump")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            super::skip("tcpdump (the test oracle; scripts/setup installs it) is not installed");
            return None;
        }
        let t = Tcpdump {
            dir: super::TempDir::new("oracle"),
        };
        // Written up front: the oracle is used from several threads.
        for lt in LinkType::ALL {
            t.savefile(lt, 262_144);
        }
        Some(t)
    }

    /// `(libpcap version ...)` from `tcpdump --version`, for reports.
    pub fn libpcap_version(&self) -> String {
        Command::new("tcpdump")
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .find(|l| l.starts_with("libpcap"))
                    .map(|l| format!("({l})"))
            })
            .unwrap_or_default()
    }

    /// An empty savefile of link type `lt`.
    pub fn savefile(&self, lt: LinkType, snaplen: u32) -> PathBuf {
        let p = self
            .dir
            .0
            .join(format!("empty-{}-{snaplen}.pcap", lt.name()));
        if !p.is_file() {
            let h = pcap_header(0xa1b2_c3d4, snaplen, lt.linktype());
            if let Err(e) = std::fs::write(&p, h) {
                panic!("cannot write {}: {e}", p.display());
            }
        }
        p
    }

    /// libpcap's program text for `expr` (`style` is `-d`, `-dd` or
    /// `-ddd`), or tcpdump's message when libpcap refuses it.
    pub fn compile(
        &self,
        lt: LinkType,
        snaplen: u32,
        expr: &str,
        optimize: bool,
        style: &str,
    ) -> Result<String, String> {
        let mut c = Command::new("tcpdump");
        c.arg(style);
        if !optimize {
            c.arg("-O");
        }
        c.arg("-r")
            .arg(self.savefile(lt, snaplen))
            .arg("--")
            .arg(expr);
        match c.output() {
            Ok(o) if o.status.success() => String::from_utf8(o.stdout).map_err(|e| e.to_string()),
            Ok(o) => Err(String::from_utf8_lossy(&o.stderr)
                .lines()
                .filter(|l| !l.starts_with("reading from") && !l.starts_with("Warning"))
                .collect::<Vec<_>>()
                .join(" ")),
            Err(e) => Err(format!("cannot run tcpdump: {e}")),
        }
    }

    /// [`Tcpdump::compile`] by DLT name at the default snap length, `None`
    /// when libpcap refuses the expression or podcap has no such link type.
    pub fn run(&self, dlt: &str, expr: &str, optimize: bool, style: &str) -> Option<String> {
        let lt = LinkType::from_name(dlt).ok()?;
        self.compile(lt, 262_144, expr, optimize, style).ok()
    }
}
