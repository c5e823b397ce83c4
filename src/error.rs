//! The one error type. Every message says what failed, why, and what to do
//! next, because the reader is an operator on a node at 3 a.m.

use std::fmt;
use std::io;

/// Broad class of failure; decides the exit status of podcap's own
/// commands ([`Kind::exit_status`]) and lets tests match without comparing
/// prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line is wrong.
    Usage,
    /// A filter expression does not compile.
    Filter,
    /// The process lacks a capability or permission.
    Permission,
    /// The thing asked about does not exist (IP not a pod here, no such interface).
    NotFound,
    /// A system call or the kernel refused.
    Os,
    /// Input data (a file, a netlink reply, a packet) is malformed.
    Format,
    /// Valid, but podcap does not do that.
    Unsupported,
}

impl Kind {
    /// The exit status of podcap's own commands (`locate`, `ping`,
    /// `neigh`, `brctl`, `route`, `link`, `compile`) when they fail this
    /// way, so a script can tell "not here" from "asked wrongly" from
    /// "could not look" (man podcap, EXIT STATUS):
    ///
    /// | status | kind |
    /// |---|---|
    /// | 1 | [`Kind::NotFound`], as `grep` exits 1 for no match (and `ping` for no reply) |
    /// | 2 | [`Kind::Usage`], [`Kind::Filter`]: the command line is wrong |
    /// | 3 | [`Kind::Unsupported`] |
    /// | 4 | [`Kind::Permission`] |
    /// | 5 | [`Kind::Os`] |
    /// | 6 | [`Kind::Format`] |
    ///
    /// Where podcap stands in for tcpdump (tcpdump mode, `podcap capture`)
    /// every failure exits [`TCPDUMP_FAILURE`] instead, as tcpdump's do.
    pub fn exit_status(self) -> i32 {
        match self {
            Kind::NotFound => 1,
            Kind::Usage | Kind::Filter => 2,
            Kind::Unsupported => 3,
            Kind::Permission => 4,
            Kind::Os => 5,
            Kind::Format => 6,
        }
    }
}

/// tcpdump 4.99's status for every failure (`S_ERR_HOST_PROGRAM`): bad
/// options, a filter that does not compile, a missing interface or file,
/// no permission. Its other codes come from the printers' memory, file
/// and ESP secret errors, which podcap has none of.
pub const TCPDUMP_FAILURE: i32 = 1;

/// What failed, why, and (optionally) what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub what: String,
    pub why: String,
    pub hint: Option<String>,
    /// The OS error number, when a system call failed.
    pub errno: Option<i32>,
}

pub type Result<T> = std::result::Result<T, Error>;

/// How to get capability `cap` (`"CAP_NET_RAW"`), for the state this
/// process is really in (see [`crate::privileges`]).
fn capability_hint(cap: &str) -> String {
    use crate::privileges::{ProcessState, advise, cap_number};
    match cap_number(cap) {
        Some(n) => advise(n, &ProcessState::read()),
        None => format!("{cap} is needed: run as root"),
    }
}

impl Error {
    pub fn new(kind: Kind, what: impl Into<String>, why: impl Into<String>) -> Self {
        Error {
            kind,
            what: what.into(),
            why: why.into(),
            hint: None,
            errno: None,
        }
    }

    /// Adds what the user should do next.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn usage(why: impl Into<String>) -> Self {
        Error::new(Kind::Usage, "bad command line", why).hint("see `podcap --help` or `man podcap`")
    }

    pub fn not_found(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::new(Kind::NotFound, what, why)
    }

    pub fn format(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::new(Kind::Format, what, why)
    }

    pub fn unsupported(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::new(Kind::Unsupported, what, why)
    }

    /// A failed system call. EPERM/EACCES become [`Kind::Permission`] with
    /// the capability named in `cap` (for example `"CAP_NET_RAW"`) and the
    /// way to get it that applies to this process's real state (uid,
    /// capability sets, file capabilities, container), read at this moment.
    pub fn os(what: impl Into<String>, err: io::Error, cap: Option<&str>) -> Self {
        let errno = err.raw_os_error();
        let denied = matches!(errno, Some(libc::EPERM) | Some(libc::EACCES));
        let mut e = Error::new(
            if denied { Kind::Permission } else { Kind::Os },
            what,
            err.to_string(),
        );
        e.errno = errno;
        match (denied, cap) {
            (true, Some(cap)) => e.hint(capability_hint(cap)),
            _ => e,
        }
    }

    /// The last OS error (`errno`) for a raw syscall wrapper.
    pub fn last_os(what: impl Into<String>, cap: Option<&str>) -> Self {
        Error::os(what, io::Error::last_os_error(), cap)
    }

    /// A filter that does not compile: the expression echoed with a caret
    /// under the offending token (`at` is a byte offset into `expr`).
    pub fn filter(expr: &str, at: usize, why: impl Into<String>) -> Self {
        let at = at.min(expr.len());
        let col = expr.get(..at).map(|s| s.chars().count()).unwrap_or(at);
        let why = format!("{}\n    {}\n    {}^", why.into(), expr, " ".repeat(col));
        Error::new(Kind::Filter, "cannot compile filter", why)
    }

    /// Exit status of podcap's own commands: by [`Kind::exit_status`].
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_status()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hint is decided from this process's real state (tests of each
    /// state: `privileges`, and tests/privileges.rs with setpriv), and
    /// shows the evidence it was decided from.
    #[test]
    fn permission_names_capability_and_the_process_state() {
        let e = Error::os(
            "open AF_PACKET socket",
            io::Error::from_raw_os_error(libc::EPERM),
            Some("CAP_NET_RAW"),
        );
        assert_eq!(e.kind, Kind::Permission);
        let s = e.to_string();
        assert!(s.contains("CAP_NET_RAW is needed"), "{s}");
        assert!(s.contains("(this process: uid "), "{s}");
        let e = Error::os(
            "x",
            io::Error::from_raw_os_error(libc::EPERM),
            Some("CAP_NOPE"),
        );
        assert!(e.to_string().contains("CAP_NOPE is needed"));
        let e = Error::os(
            "x",
            io::Error::from_raw_os_error(libc::EIO),
            Some("CAP_NET_RAW"),
        );
        assert_eq!((e.kind, e.hint), (Kind::Os, None));
    }

    /// Every kind has its own status but usage and filter errors (both
    /// mean: fix the command line), and none is 0 or tcpdump's catch-all
    /// by accident of order.
    #[test]
    fn exit_status_by_kind() {
        let all = [
            Kind::NotFound,
            Kind::Usage,
            Kind::Filter,
            Kind::Unsupported,
            Kind::Permission,
            Kind::Os,
            Kind::Format,
        ];
        let got: Vec<i32> = all.iter().map(|k| k.exit_status()).collect();
        assert_eq!(got, vec![1, 2, 2, 3, 4, 5, 6]);
        assert_eq!(Error::usage("x").exit_code(), 2);
        let e = Error::os(
            "open",
            io::Error::from_raw_os_error(libc::EACCES),
            Some("CAP_NET_RAW"),
        );
        assert_eq!(e.exit_code(), 4);
    }

    #[test]
    fn filter_error_has_caret_under_token() {
        let e = Error::filter("tcp port 99999", 9, "port 99999 is out of range (0-65535)");
        let s = e.to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1], "    tcp port 99999");
        assert_eq!(lines[2], "             ^");
    }
}
