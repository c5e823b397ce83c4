//! Finding and entering network namespaces.

use crate::{Error, Result, sys};
use std::fs::File;

/// Resolves `spec` to a namespace file: a path (`/run/netns/x`,
/// `/proc/123/ns/net`), a bare name in `/run/netns` or `/var/run/netns`,
/// or a PID.
pub fn resolve(spec: &str) -> Result<std::path::PathBuf> {
    use std::path::PathBuf;
    if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(PathBuf::from(format!("/proc/{spec}/ns/net")));
    }
    if spec.contains('/') {
        return Ok(PathBuf::from(spec));
    }
    for dir in ["/run/netns", "/var/run/netns"] {
        let p = PathBuf::from(dir).join(spec);
        if p.exists() {
            return Ok(p);
        }
    }
    Err(Error::not_found(
        format!("network namespace {spec}"),
        "not a PID, a path, or a name in /run/netns or /var/run/netns",
    )
    .hint("give a PID of a process in the pod, or a path such as /proc/PID/ns/net"))
}

/// Moves the calling thread into the network namespace `spec` (see
/// [`resolve`]). Call before opening sockets, and before spawning threads
/// that must share it.
pub fn enter(spec: &str) -> Result<()> {
    let path = resolve(spec)?;
    let f = File::open(&path).map_err(|e| {
        Error::os(
            format!("open network namespace {}", path.display()),
            e,
            Some("CAP_SYS_PTRACE"),
        )
    })?;
    sys::ns::setns_net(&f).map_err(|e| {
        Error::os(
            format!("enter network namespace {}", path.display()),
            e,
            Some("CAP_SYS_ADMIN"),
        )
    })
}

/// Runs `f` with the calling thread inside network namespace `spec` (see
/// [`resolve`]; `None`: where it is), then returns the thread to the
/// namespace it was in. Sockets created by `f` stay bound to `spec`'s
/// namespace.
pub fn within<T>(spec: Option<&str>, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let Some(spec) = spec else { return f() };
    let home = File::open("/proc/thread-self/ns/net")
        .or_else(|_| File::open("/proc/self/ns/net"))
        .map_err(|e| Error::os("open the current network namespace", e, None))?;
    enter(spec)?;
    let r = f();
    sys::ns::setns_net(&home).map_err(|e| {
        Error::os(
            "return to the original network namespace",
            e,
            Some("CAP_SYS_ADMIN"),
        )
    })?;
    r
}

/// The inode number of a network namespace file, as `ip netns identify`
/// and `lsns` show it.
pub fn inode(path: &str) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// One network namespace found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// A path that opens it: the bind mount when there is one
    /// (`/run/netns/NAME`), else `/proc/PID/ns/net`.
    pub path: std::path::PathBuf,
    /// nsfs device and inode: the namespace's identity.
    pub dev: u64,
    pub ino: u64,
    /// Names of its bind mounts in /run/netns or /var/run/netns.
    pub names: Vec<String>,
    /// Processes that live in it (a few are enough to name it).
    pub pids: Vec<u32>,
    /// The calling thread's own namespace.
    pub current: bool,
}

impl Namespace {
    /// A short label: the bind-mount name, else `pid N`, else the path.
    pub fn label(&self) -> String {
        if let Some(n) = self.names.first() {
            n.clone()
        } else if let Some(p) = self.pids.first() {
            format!("pid {p}")
        } else {
            self.path.display().to_string()
        }
    }
}

fn ns_id(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.dev(), m.ino()))
}

/// The identity (nsfs dev, inode) of the calling thread's namespace.
pub fn current_id() -> Result<(u64, u64)> {
    ns_id(std::path::Path::new("/proc/thread-self/ns/net")).ok_or_else(|| {
        Error::not_found(
            "this thread's network namespace",
            "/proc/thread-self/ns/net cannot be read",
        )
        .hint("mount /proc (podcap needs it to find namespaces)")
    })
}

/// Every network namespace this process can see: the bind mounts CNI
/// runtimes pin in `/run/netns` and `/var/run/netns`, plus `/proc/*/ns/net`
/// of running processes, deduplicated by (st_dev, st_ino). Processes whose
/// namespace link cannot be read (another user's, without
/// CAP_SYS_PTRACE) are skipped; [`Discovery::unreadable`] counts them.
pub fn discover() -> Result<Discovery> {
    discover_opts(true)
}

/// Like [`discover`]; with `procs` false only the bind mounts in
/// /run/netns and /var/run/netns are read (cheap: no walk of /proc).
pub fn discover_opts(procs: bool) -> Result<Discovery> {
    use std::collections::HashMap;
    let here = current_id().ok();
    let mut out: Vec<Namespace> = Vec::new();
    let mut by_id: HashMap<(u64, u64), usize> = HashMap::new();
    let mut unreadable = 0usize;
    let mut add = |path: std::path::PathBuf,
                   id: (u64, u64),
                   name: Option<String>,
                   pid: Option<u32>,
                   out: &mut Vec<Namespace>| {
        let i = *by_id.entry(id).or_insert_with(|| {
            out.push(Namespace {
                path,
                dev: id.0,
                ino: id.1,
                names: Vec::new(),
                pids: Vec::new(),
                current: Some(id) == here,
            });
            out.len() - 1
        });
        if let Some(n) = name {
            if !out[i].names.contains(&n) {
                out[i].names.push(n);
            }
        }
        if let Some(p) = pid {
            out[i].pids.push(p);
        }
    };
    let mut dirs_seen = Vec::new();
    for dir in ["/run/netns", "/var/run/netns"] {
        // /var/run is usually a symlink to /run: read the directory once.
        let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.into());
        if dirs_seen.contains(&real) {
            continue;
        }
        dirs_seen.push(real);
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            // An unmounted placeholder file is an ordinary file on tmpfs:
            // only nsfs entries (the real bind mounts) count.
            // All nsfs files share one st_dev: compare with our own
            // namespace's before paying for a statfs.
            let nsfs = |id: &(u64, u64)| match here {
                Some(h) => h.0 == id.0,
                None => is_nsfs(&p),
            };
            if let Some(id) = ns_id(&p).filter(nsfs) {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                add(p.clone(), id, name, None, &mut out);
            }
        }
    }
    if !procs {
        return Ok(Discovery {
            namespaces: out,
            unreadable,
        });
    }
    let rd = std::fs::read_dir("/proc").map_err(|e| {
        Error::os("list /proc", e, None).hint("mount /proc: podcap reads /proc/*/ns/net")
    })?;
    let mut pids: Vec<u32> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let p = std::path::PathBuf::from(format!("/proc/{pid}/ns/net"));
        match ns_id(&p) {
            Some(id) => add(p, id, None, Some(pid), &mut out),
            None => unreadable += 1,
        }
    }
    Ok(Discovery {
        namespaces: out,
        unreadable,
    })
}

/// What [`discover`] found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub namespaces: Vec<Namespace>,
    /// Processes whose namespace could not be read (permission).
    pub unreadable: usize,
}

fn is_nsfs(p: &std::path::Path) -> bool {
    sys::ns::fs_type(p).is_ok_and(|t| t == sys::ns::NSFS_MAGIC)
}

/// Runs `f` inside the network namespace at `path` on a dedicated thread,
/// so the caller's own namespace never changes. Sockets `f` opens belong
/// to that namespace.
///
/// ```no_run
/// let links = podcap::netns::run_in("/run/netns/pod1".as_ref(), || {
///     podcap::netlink::Socket::open()?.links()
/// })?;
/// # Ok::<(), podcap::Error>(())
/// ```
pub fn run_in<T: Send>(path: &std::path::Path, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let ns = File::open(path).map_err(|e| {
        Error::os(
            format!("open network namespace {}", path.display()),
            e,
            Some("CAP_SYS_PTRACE"),
        )
    })?;
    std::thread::scope(|s| {
        let h = s.spawn(|| {
            // setns only moves this freshly spawned thread.
            sys::ns::setns_net(&ns).map_err(|e| {
                Error::os(
                    format!("enter network namespace {}", path.display()),
                    e,
                    Some("CAP_SYS_ADMIN"),
                )
            })?;
            f()
        });
        h.join().unwrap_or_else(|_| {
            Err(Error::new(
                crate::error::Kind::Os,
                format!("work inside network namespace {}", path.display()),
                "the worker thread panicked",
            ))
        })
    })
}

/// Visits the namespaces at `paths` one after another on one dedicated
/// thread (setns into each in turn; the caller's namespace never changes)
/// and returns the first index where `f` answers `Some`, with the errors
/// met on the way (namespaces that could not be opened or entered, or
/// where `f` failed). Cheaper than [`run_in`] per namespace when there are
/// hundreds.
pub fn find_in_each<T: Send>(
    paths: &[&std::path::Path],
    f: impl Fn(&std::path::Path) -> Result<Option<T>> + Sync,
) -> (Option<(usize, T)>, Vec<Error>) {
    std::thread::scope(|s| {
        let h = s.spawn(|| {
            let mut errors = Vec::new();
            for (i, path) in paths.iter().enumerate() {
                let ns = match File::open(path) {
                    Ok(f) => f,
                    Err(e) => {
                        errors.push(Error::os(
                            format!("open network namespace {}", path.display()),
                            e,
                            Some("CAP_SYS_PTRACE"),
                        ));
                        continue;
                    }
                };
                // setns only moves this worker thread.
                if let Err(e) = sys::ns::setns_net(&ns) {
                    errors.push(Error::os(
                        format!("enter network namespace {}", path.display()),
                        e,
                        Some("CAP_SYS_ADMIN"),
                    ));
                    continue;
                }
                match f(path) {
                    Ok(Some(t)) => return (Some((i, t)), errors),
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                }
            }
            (None, errors)
        });
        h.join().unwrap_or_else(|_| {
            (
                None,
                vec![Error::new(
                    crate::error::Kind::Os,
                    "search network namespaces",
                    "the worker thread panicked",
                )],
            )
        })
    })
}
