//! The arm64 build and the release: `scripts/release` builds the static
//! aarch64 binary on this x86-64 machine (rust-lld, no cross compiler),
//! packs both architectures with the kubectl plugin and writes the krew
//! manifest; the arm64 binary then runs under Debian's qemu-aarch64-static
//! and must answer exactly as the x86-64 one does.
//!
//! The release is built with the `dev` profile (`--profile dev`: the same
//! code, unoptimised) so the test costs about a minute of CPU instead of
//! two fat-LTO builds; `scripts/release` without it builds the release
//! profile.
//!
//! What qemu-user 7.2 cannot translate is left out, as it is no podcap
//! defect: the PACKET_VERSION socket option (capture: `select TPACKET_V3:
//! Protocol not available`) and rtnetlink neighbour dumps (`neigh`, and so
//! `locate`: `send neighbour dump request: Not supported`), and the nsid
//! queries that name a veth peer's namespace. Routes and links go through
//! qemu's netlink translation and are compared.

mod common;
mod kit;

use common::{World, stdout, text};
use std::path::Path;
use std::process::Command;

const QEMU: &str = "qemu-aarch64-static";

fn sha256(file: &Path) -> String {
    let o = Command::new("sha256sum").arg(file).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    stdout(&o).split_whitespace().next().unwrap().to_string()
}

#[test]
fn release_builds_both_architectures_and_arm64_answers_as_amd64() {
    let dir = kit::TempDir::new("release");
    let out = dir.path().join("dist");
    let o = Command::new(common::repo().join("scripts/release"))
        .args(["--profile", "dev", "--url", "https://example.test/dl/v1"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run scripts/release");
    assert!(o.status.success(), "scripts/release: {}", text(&o));
    let printed = stdout(&o);

    // Both binaries static, the arm64 one for aarch64.
    let arm = out.join("podcap-linux-arm64");
    let amd = out.join("podcap-linux-amd64");
    let f = stdout(&Command::new("file").arg(&arm).output().unwrap());
    assert!(
        f.contains("ARM aarch64") && f.contains("statically linked"),
        "{f}"
    );
    let f = stdout(&Command::new("file").arg(&amd).output().unwrap());
    assert!(
        f.contains("x86-64") && (f.contains("statically linked") || f.contains("static-pie")),
        "{f}"
    );

    // Sizes and sums printed are the files'; SHA256SUMS agrees.
    let archive = "kubectl-podcap-v0.1.0.tar.gz";
    for name in [
        "podcap-linux-amd64",
        "podcap-linux-arm64",
        "kubectl-podcap",
        archive,
    ] {
        let p = out.join(name);
        let size = std::fs::metadata(&p).unwrap().len().to_string();
        let sum = sha256(&p);
        assert!(
            printed
                .lines()
                .any(|l| l.starts_with(name) && l.contains(&size) && l.ends_with(&sum)),
            "{name} {size} {sum} in:\n{printed}"
        );
    }
    let c = Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", text(&c));

    // The archive holds the plugin and both binaries; the manifest points
    // every platform at it with its sum.
    let t = Command::new("tar")
        .arg("-tzf")
        .arg(out.join(archive))
        .output()
        .unwrap();
    assert_eq!(
        stdout(&t).lines().collect::<Vec<_>>(),
        ["kubectl-podcap", "podcap-linux-amd64", "podcap-linux-arm64"]
    );
    let manifest = std::fs::read_to_string(out.join("podcap.yaml")).unwrap();
    let sum = sha256(&out.join(archive));
    assert_eq!(
        manifest
            .matches(&format!("uri: https://example.test/dl/v1/{archive}"))
            .count(),
        4,
        "{manifest}"
    );
    assert_eq!(
        manifest.matches(&format!("sha256: {sum}")).count(),
        4,
        "{manifest}"
    );
    for sel in ["os: linux", "os: darwin", "arch: amd64", "arch: arm64"] {
        assert!(manifest.contains(sel), "{sel}: {manifest}");
    }
    assert!(manifest.contains("bin: kubectl-podcap"), "{manifest}");

    // The arm64 binary under qemu: the same filter programs...
    for expr in [
        "tcp port 80 and host 10.0.0.1",
        "vxlan and icmp",
        "ip6 and udp portrange 53-60",
    ] {
        let x = Command::new(&amd)
            .args(["compile", "-ddd", expr])
            .output()
            .unwrap();
        let a = Command::new(QEMU)
            .arg(&arm)
            .args(["compile", "-ddd", expr])
            .output()
            .expect("qemu-aarch64-static installed (scripts/setup)");
        assert!(a.status.success(), "{expr}: {}", text(&a));
        assert_eq!(stdout(&a), stdout(&x), "{expr}");
    }

    // ...and the same routes and links on a simulated node, read through
    // netlink.
    let w = World::flannel(2, 1);
    let arm_s = arm.to_string_lossy().into_owned();
    let amd_s = amd.to_string_lossy().into_owned();
    let ips: Vec<String> = ["pod1", "pod3"]
        .iter()
        .map(|p| w.pod(p).ip.to_string())
        .collect();
    for args in [
        vec!["route", "get", ips[0].as_str()],
        vec!["route", "get", ips[1].as_str()],
        vec!["link"],
    ] {
        let x = w.exec("node1", &[&[amd_s.as_str()], &args[..]].concat());
        let a = w.exec("node1", &[&[QEMU, arm_s.as_str()], &args[..]].concat());
        assert!(x.status.success(), "{args:?}: {}", text(&x));
        assert!(a.status.success(), "{args:?}: {}", text(&a));
        assert!(!stdout(&x).is_empty(), "{args:?}");
        // A veth peer's namespace is found through nsid queries qemu does
        // not translate either: `link` is compared up to MASTER.
        let cols = |o: &std::process::Output| -> Vec<String> {
            let n = if args[0] == "link" { 6 } else { usize::MAX };
            stdout(o)
                .lines()
                .map(|l| l.split_whitespace().take(n).collect::<Vec<_>>().join(" "))
                .collect()
        };
        assert_eq!(cols(&a), cols(&x), "{args:?}");
    }
}
