//! libpcap's test suite as data: where it is and what it holds.
//!
//! The data lives in `shared/conformance/` beside the repository (CI lays
//! `shared/` beside its clone; a git worktree such as `/work/wt-x` finds
//! `/work/shared`), or wherever `$PODCAP_CONFORMANCE` points.

use std::path::PathBuf;

use super::json::{self, Value};

const MARKER: &str = "libpcap-testrun.json";

/// The conformance directory: `$PODCAP_CONFORMANCE`, else
/// `shared/conformance` in the repository's parent or further up. `None`
/// after saying (visibly) what was looked for.
pub fn dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PODCAP_CONFORMANCE") {
        let p = PathBuf::from(p);
        if p.join(MARKER).is_file() {
            return Some(p);
        }
        super::skip(&format!(
            "PODCAP_CONFORMANCE={} holds no {MARKER}",
            p.display()
        ));
        return None;
    }
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = repo
        .ancestors()
        .map(|d| d.join("shared/conformance"))
        .find(|p| p.join(MARKER).is_file());
    if found.is_none() {
        super::skip(&format!(
            "the conformance data (shared/conformance/{MARKER}) is not beside {} \
             or above it; set PODCAP_CONFORMANCE to its directory",
            repo.display()
        ));
    }
    found
}

/// A file or directory of the conformance data (`libpcap-savefiles`,
/// `tcpdump-tests/...`), or `None` after saying it is absent.
pub fn path(rel: &str) -> Option<PathBuf> {
    let p = dir()?.join(rel);
    if p.exists() {
        Some(p)
    } else {
        super::skip(&format!("{} is not in the conformance data", p.display()));
        None
    }
}

/// One case of the suite.
#[derive(Debug, Clone)]
pub struct Case {
    pub label: String,
    /// `None` for reject cases about savefiles rather than expressions.
    pub dlt: Option<String>,
    pub expr: String,
    pub expected: String,
    pub optimize: bool,
    pub snaplen: Option<u32>,
    pub netmask: Option<String>,
    pub linuxext: bool,
    pub savefile: Option<String>,
}

impl Case {
    /// The DLT name, empty for the savefile cases.
    pub fn dlt(&self) -> &str {
        self.dlt.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Default)]
pub struct Suite {
    pub dir: PathBuf,
    pub accept: Vec<Case>,
    pub reject: Vec<Case>,
    pub apply: Vec<Case>,
}

fn case(v: &Value) -> Case {
    Case {
        label: v.str("label").unwrap_or("").to_string(),
        dlt: v.str("DLT").map(str::to_string),
        expr: v.str("expr").unwrap_or("").to_string(),
        expected: v.str("expected").unwrap_or("").to_string(),
        optimize: v.num("optimize").unwrap_or(1.0) != 0.0,
        snaplen: v.num("snaplen").map(|n| n as u32),
        netmask: v.str("netmask").map(str::to_string),
        linuxext: match v.get("linuxext") {
            Some(Value::Str(s)) => !s.is_empty(),
            Some(Value::Num(n)) => *n != 0.0,
            Some(Value::Bool(b)) => *b,
            _ => false,
        },
        savefile: v.str("savefile").map(str::to_string),
    }
}

/// Loads the suite, or `None` (said visibly) when it is absent. Data that
/// is there but unreadable fails the test.
pub fn load() -> Option<Suite> {
    let dir = dir()?;
    let text = match std::fs::read_to_string(dir.join(MARKER)) {
        Ok(t) => t,
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    let v = match json::parse(&text) {
        Ok(v) => v,
        Err(e) => panic!("{MARKER}: {e}"),
    };
    Some(Suite {
        accept: v.arr("accept").iter().map(case).collect(),
        reject: v.arr("reject").iter().map(case).collect(),
        apply: v.arr("apply").iter().map(case).collect(),
        dir,
    })
}

/// The accept cases alone, or `None` (said visibly) without the suite.
pub fn accept_cases() -> Option<Vec<Case>> {
    load().map(|s| s.accept)
}
