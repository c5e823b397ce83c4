//! Giving up privileges once the capture is set up: all capabilities by
//! default, or becoming another user (`-Z user`) as tcpdump does.

use crate::{Error, Result, sys};

/// Clears the effective, permitted and inheritable capability sets of the
/// calling thread. Call before spawning threads: they inherit the sets.
pub fn drop_all_capabilities() -> Result<()> {
    sys::caps::set(&sys::caps::CapSets::default())
        .map_err(|e| Error::os("drop capabilities after opening the capture", e, None))
}

/// The effective capability set of this process (from /proc), for tests
/// and diagnostics.
pub fn effective_capabilities() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/status")
        .or_else(|_| std::fs::read_to_string("/proc/self/status"))
        .ok()?;
    let line = s.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line.trim_start_matches("CapEff:").trim(), 16).ok()
}

/// A user from /etc/passwd: (uid, gid).
fn lookup_user(name: &str) -> Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 4 && f[0] == name {
            if let (Ok(uid), Ok(gid)) = (f[2].parse(), f[3].parse()) {
                return Ok((uid, gid));
            }
        }
    }
    // A numeric id works even in images without /etc/passwd.
    if let Ok(uid) = name.parse::<u32>() {
        return Ok((uid, uid));
    }
    Err(Error::not_found(
        format!("user {name}"),
        "not in /etc/passwd and not a number",
    )
    .hint("give -Z an existing user name or a numeric uid"))
}

/// tcpdump's `-Z user`: supplementary groups set to the user's primary
/// group, then setgid, then setuid (which clears all capabilities).
pub fn become_user(name: &str) -> Result<()> {
    let (uid, gid) = lookup_user(name)?;
    sys::caps::set_groups(&[gid])
        .map_err(|e| Error::os(format!("-Z {name}: setgroups"), e, Some("CAP_SETGID")))?;
    sys::caps::set_gid(gid)
        .map_err(|e| Error::os(format!("-Z {name}: setgid({gid})"), e, Some("CAP_SETGID")))?;
    sys::caps::set_uid(uid)
        .map_err(|e| Error::os(format!("-Z {name}: setuid({uid})"), e, Some("CAP_SETUID")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_unknown_users() {
        assert_eq!(lookup_user("65534").ok().map(|u| u.0), Some(65534));
        assert!(lookup_user("no-such-user-podcap").is_err());
        assert_eq!(lookup_user("root").ok(), Some((0, 0)));
    }
}
