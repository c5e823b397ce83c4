//! The library's kernel-facing pieces against the running kernel (these
//! need root or the kernel's answers, so they are not unit tests):
//! rtnetlink on `lo`, finding and entering network namespaces, and ping.

use podcap::netns::{current_id, discover, find_in_each, inode, resolve, run_in, within};

#[test]
fn discovery_includes_our_own_namespace_once() {
    let d = discover().unwrap();
    let here = current_id().unwrap();
    let ours: Vec<_> = d
        .namespaces
        .iter()
        .filter(|n| (n.dev, n.ino) == here)
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].current);
    assert!(ours[0].pids.contains(&std::process::id()));
}

#[test]
fn run_in_leaves_the_caller_where_it_was() {
    let name = format!("podcap-nsut-{}", std::process::id());
    let ok = std::process::Command::new("ip")
        .args(["netns", "add", &name])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "ip netns add failed");
    struct Del(String);
    impl Drop for Del {
        fn drop(&mut self) {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &self.0])
                .status();
        }
    }
    let _g = Del(name.clone());
    let before = current_id().unwrap();
    let path = resolve(&name).unwrap();
    let (inside, links) = run_in(&path, || {
        let id = current_id()?;
        let l = podcap::netlink::Socket::open()?.links()?;
        Ok((id, l))
    })
    .unwrap();
    assert_ne!(inside, before);
    assert_eq!(current_id().unwrap(), before);
    // `within` moves the calling thread there and back.
    assert_eq!(within(Some(&name), current_id).unwrap(), inside);
    assert_eq!(current_id().unwrap(), before);
    assert_eq!(within(None, current_id).unwrap(), before);
    assert_eq!(
        inode(&path.display().to_string()),
        Some(inside.1),
        "the inode is the namespace's identity"
    );
    // A fresh namespace holds only `lo`.
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].name, "lo");
    let d = discover().unwrap();
    let found = d
        .namespaces
        .iter()
        .find(|n| (n.dev, n.ino) == inside)
        .expect("new namespace discovered");
    assert!(found.names.contains(&name));
    assert!(run_in(std::path::Path::new("/nonexistent/ns"), || Ok(())).is_err());
    // One worker, several namespaces: errors collected, first hit wins.
    let bad = std::path::Path::new("/nonexistent/ns");
    let (hit, errs) = find_in_each(&[bad, &path, &path], |_| Ok(Some(current_id()?)));
    assert_eq!(hit, Some((1, inside)));
    assert_eq!(errs.len(), 1);
    assert_eq!(current_id().unwrap(), before);
}

#[test]
fn loopback_is_in_every_namespace() {
    // Real kernel: this test's own namespace always has `lo`.
    let mut nl = podcap::netlink::Socket::open().unwrap();
    let lo = nl.link_by_name("lo").unwrap();
    assert!(lo.flags & podcap::netlink::link::IFF_LOOPBACK != 0);
    assert_eq!(nl.link(lo.ifindex).unwrap().name, "lo");
    let links = nl.links().unwrap();
    assert!(links.iter().any(|l| l.name == "lo"));
    let on_lo = nl.neighbours_on(lo.ifindex).unwrap();
    let all = nl.neighbours(podcap::netlink::AF_UNSPEC).unwrap();
    assert_eq!(
        on_lo.len(),
        all.iter().filter(|n| n.ifindex == lo.ifindex).count()
    );
    assert_eq!(
        nl.neigh_get("127.0.0.9".parse().unwrap(), lo.ifindex)
            .unwrap(),
        None
    );
    let r = nl.route_get("127.0.0.1".parse().unwrap(), false).unwrap();
    assert_eq!(r.oif, Some(lo.ifindex));
    assert_eq!(r.rtype, podcap::netlink::RouteType::Local);
    let e = nl.link_by_name("podcap-nope0").unwrap_err();
    assert_eq!(e.kind, podcap::error::Kind::NotFound);
}

#[test]
fn pings_loopback() {
    let r = podcap::ping::ping_once(
        "127.0.0.1".parse().unwrap(),
        std::time::Duration::from_secs(5),
    )
    .unwrap()
    .expect("loopback answers");
    assert_eq!(r.seq, 1);
    assert_eq!(r.bytes, 64);
}
