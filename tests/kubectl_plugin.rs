//! The kubectl plugin (scripts/kubectl-podcap) from the laptop's side, end
//! to end: the real plugin and the real podcap binary, against simulated
//! nodes and pods (scripts/simnode worlds through tests/common).
//!
//! kubectl itself is a stand-in (tests/kubectl/kubectl, first on PATH):
//! there is no cluster to reach here. It records every call, so the tests
//! assert what a real kubectl would have been asked (real flags: `kubectl
//! debug node/NODE -n NS --profile=netadmin --image=...`, `kubectl debug POD
//! --target=C --profile=baseline -q ...`, `kubectl get pod -o
//! jsonpath=...`), and it carries the calls out: a node debug pod is a
//! process in the node's network namespace, an ephemeral container one in
//! the pod's, a container a mount namespace whose root holds its image
//! (scratch: nothing but what is uploaded), with the uid and capabilities a
//! container would have. Each test asserts the capture that comes back
//! (tshark reads it), the clean-up (no debug pod, no process left in any
//! container) and the message of each refusal.

mod common;
mod kit;

use common::{World, text};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const PODCAP: &str = env!("CARGO_BIN_EXE_podcap");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn plugin_path() -> PathBuf {
    repo().join("scripts/kubectl-podcap")
}

/// One pod of the stand-in cluster, on a simnode pod.
struct PodSpec<'a> {
    name: &'a str,
    namespace: &'a str,
    /// The simnode pod it is (its node, IP and network namespace).
    sim: &'a str,
    labels: &'a str,
    /// A JSON object or `null`.
    security: &'a str,
    /// JSON array of containers.
    containers: &'a str,
}

/// The stand-in cluster over a world; removed on drop.
struct Cluster {
    dir: kit::TempDir,
}

impl Cluster {
    fn up(w: &World, version: &str, pods: &[PodSpec<'_>]) -> Cluster {
        let dir = kit::TempDir::new("kube");
        let nodes: Vec<String> = w
            .nodes
            .iter()
            .map(|n| {
                format!(
                    r#""{}": {{"netns": "{}", "arch": "amd64", "ip": "{}"}}"#,
                    n.name,
                    n.netns.display(),
                    n.underlay_ip
                )
            })
            .collect();
        let pods: Vec<String> = pods
            .iter()
            .map(|p| {
                let sim = w.pod(p.sim);
                format!(
                    r#"{{"name": "{}", "namespace": "{}", "node": "{}", "ip": "{}", "netns": "{}",
                        "labels": {}, "securityContext": {}, "containers": {}}}"#,
                    p.name,
                    p.namespace,
                    sim.node,
                    sim.ip,
                    sim.netns.display(),
                    p.labels,
                    p.security,
                    p.containers
                )
            })
            .collect();
        let spec = format!(
            r#"{{"kubectl_version": "{version}",
                "namespaces": {{"default": "privileged", "shop": "privileged",
                                "base": "baseline", "locked": "restricted"}},
                "nodes": {{{}}}, "pods": [{}],
                "workloads": [{{"kind": "Deployment", "name": "web", "namespace": "shop",
                                "matchLabels": {{"app": "web", "tier": "front"}}}}]}}"#,
            nodes.join(", "),
            pods.join(", ")
        );
        let file = dir.path().join("spec.json");
        std::fs::write(&file, spec).unwrap();
        let c = Cluster { dir };
        let o = c.tool(&["up", &file.to_string_lossy()]);
        assert!(o.status.success(), "cluster up: {}", text(&o));
        c
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn tool(&self, args: &[&str]) -> Output {
        Command::new(repo().join("tests/kubectl/cluster"))
            .args(args)
            .env("PODCAP_KUBE", self.state())
            .output()
            .expect("run tests/kubectl/cluster")
    }

    /// The plugin, with the stand-in first on PATH.
    fn plugin(&self, args: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            repo().join("tests/kubectl").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut c = Command::new(plugin_path());
        c.args(args)
            .env("PATH", path)
            .env("PODCAP_KUBE", self.state())
            .env("TMPDIR", self.dir.path())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.plugin(args).output().expect("run the plugin")
    }

    /// The plugin on shop/web-1 with the binary under test: EXTRA, then
    /// `-f FILTER`.
    fn run_web1(&self, extra: &[&str], filter: &str) -> Output {
        let mut args = vec!["web-1", "-n", "shop", "--binary", PODCAP];
        args.extend_from_slice(extra);
        args.extend(["-f", filter]);
        self.run(&args)
    }

    /// Every kubectl call so far, as argv lists.
    fn calls(&self) -> Vec<Vec<String>> {
        let log = std::fs::read_to_string(self.state().join("calls.log")).unwrap_or_default();
        log.lines()
            .map(|l| match kit::json::parse(l) {
                Ok(kit::json::Value::Arr(a)) => a
                    .into_iter()
                    .map(|v| match v {
                        kit::json::Value::Str(s) => s,
                        other => panic!("calls.log: {other:?}"),
                    })
                    .collect(),
                other => panic!("calls.log line {l}: {other:?}"),
            })
            .collect()
    }

    fn forget_calls(&self) {
        let _ = std::fs::write(self.state().join("calls.log"), "");
    }

    /// Debug pods and processes the plugin left behind (must be none).
    fn leftovers(&self) -> String {
        let o = self.tool(&["leftovers"]);
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn files(&self, pod: &str, container: &str) -> Vec<String> {
        let o = self.tool(&["files", pod, container]);
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.tool(&["down"]);
    }
}

/// Pings `ip` from simnode pod `from` until dropped.
struct Pinger(Child);

impl Pinger {
    fn start(w: &World, from: &str, ip: &str) -> Pinger {
        Pinger(w.pod_spawn(from, &["ping", "-q", "-i", "0.2", ip]))
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What tshark says: one line per packet (`-T fields` with FIELDS).
fn tshark(file: &Path, fields: &[&str]) -> Vec<String> {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(file).args(["-T", "fields"]);
    for f in fields {
        c.args(["-e", f]);
    }
    let o = c.output().expect("run tshark");
    assert!(
        o.status.success(),
        "tshark -r {}: {}",
        file.display(),
        text(&o)
    );
    let e = stderr_of(&o);
    assert!(
        !e.contains("cut short") && !e.contains("appears to be damaged"),
        "{e}"
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Whether a call starts with `want` (an empty word matches any).
fn has_call(calls: &[Vec<String>], want: &[&str]) -> bool {
    calls
        .iter()
        .any(|c| c.len() >= want.len() && c.iter().zip(want).all(|(a, b)| b.is_empty() || a == b))
}

fn find_call<'a>(calls: &'a [Vec<String>], prefix: &[&str]) -> &'a Vec<String> {
    calls
        .iter()
        .find(|c| c.len() >= prefix.len() && c.iter().zip(prefix).all(|(a, b)| a == b))
        .unwrap_or_else(|| panic!("no call starting {prefix:?} in {calls:#?}"))
}

const BUSYBOX: &str = r#"[{"name": "app", "image": "busybox"}]"#;
const SCRATCH: &str = r#"[{"name": "app", "image": "scratch"}]"#;

fn web_pods(labels: &'static str) -> [PodSpec<'static>; 2] {
    [
        PodSpec {
            name: "web-1",
            namespace: "shop",
            sim: "pod1",
            labels,
            security: "null",
            containers: SCRATCH,
        },
        PodSpec {
            name: "web-2",
            namespace: "shop",
            sim: "pod3",
            labels,
            security: "null",
            containers: BUSYBOX,
        },
    ]
}

const WEB: &str = r#"{"app": "web", "tier": "front"}"#;

/// The default: a debug pod on the pod's node captures on the pod's veth
/// (podcap capture POD_IP), the file is whole, the pod is removed.
#[test]
fn node_mode_captures_one_pod_into_a_file() {
    let w = World::flannel(2, 1);
    let k = Cluster::up(&w, "1.31", &web_pods(WEB));
    let ip = w.pod("pod1").ip.to_string();
    let _ping = Pinger::start(&w, "pod2", &ip);
    let out = k.file("web-1.pcap");
    let o = k.run_web1(&["-o", &out.to_string_lossy(), "--count", "4"], "icmp");
    assert!(o.status.success(), "{}", text(&o));
    let e = stderr_of(&o);
    assert!(
        e.contains("node mode: debug pod node-debugger-node1-"),
        "{e}"
    );
    assert!(
        e.contains("(bridge-fdb)"),
        "podcap's evidence is shown: {e}"
    );
    assert!(e.contains("4 packets captured"), "{e}");
    let lines = tshark(&out, &["ip.src", "ip.dst", "icmp.type"]);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains(&ip)), "{lines:?}");

    let calls = k.calls();
    let get = find_call(&calls, &["get", "pod", "web-1"]);
    assert!(
        get.iter().any(|a| a == "-n")
            && get
                .iter()
                .any(|a| a.starts_with("jsonpath={.metadata.name}")),
        "{get:?}"
    );
    assert!(has_call(&calls, &["debug", "--help"]));
    let debug = find_call(&calls, &["debug", "node/node1"]);
    assert_eq!(
        debug[2..],
        [
            "-n",
            "shop",
            "--profile=netadmin",
            "--image=busybox:1.36",
            "--",
            "sleep",
            "43200"
        ],
        "{debug:?}"
    );
    let upload = find_call(&calls, &["exec", "-i"]);
    let dbg = upload[2].clone();
    assert!(dbg.starts_with("node-debugger-node1-"), "{upload:?}");
    assert_eq!(
        upload[3..],
        [
            "-n",
            "shop",
            "--",
            "sh",
            "-c",
            "cat > /tmp/podcap && chmod 755 /tmp/podcap"
        ]
    );
    let cap = calls
        .iter()
        .find(|c| c.iter().any(|a| a == "capture"))
        .expect("the capture");
    let tail: Vec<&str> = cap
        .iter()
        .skip_while(|a| *a != "/tmp/podcap")
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "/tmp/podcap",
            "capture",
            &ip,
            "-U",
            "-w",
            "-",
            "-c",
            "4",
            "icmp"
        ],
        "{cap:?}"
    );
    assert!(
        has_call(
            &calls,
            &[
                "delete",
                "pod",
                &dbg,
                "-n",
                "shop",
                "--wait=false",
                "--ignore-not-found"
            ]
        ),
        "{calls:#?}"
    );
    assert_eq!(k.leftovers(), "");
}

/// A scratch pod: no sh, no tar, no /tmp. An ephemeral container (busybox,
/// baseline profile: containerd's default NET_RAW) shares its network
/// namespace; podcap goes into the ephemeral container, never into the
/// scratch one, and captures `-i any` there.
#[test]
fn scratch_pod_through_an_ephemeral_container() {
    let w = World::flannel(2, 1);
    let k = Cluster::up(&w, "1.31", &web_pods(WEB));
    let ip = w.pod("pod1").ip.to_string();
    let _ping = Pinger::start(&w, "pod2", &ip);
    let out = k.file("eph.pcap");
    let o = k.run(&[
        "web-1",
        "-n",
        "shop",
        "--mode",
        "ephemeral",
        "-o",
        &out.to_string_lossy(),
        "--count",
        "3",
        "--binary",
        PODCAP,
        "--",
        "icmp",
        "and",
        "host",
        &ip,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let e = stderr_of(&o);
    assert!(e.contains("ephemeral mode: container podcap-"), "{e}");
    assert!(e.contains("link-type LINUX_SLL"), "{e}");
    assert_eq!(tshark(&out, &["ip.dst"]).len(), 3);

    let calls = k.calls();
    let debug = find_call(&calls, &["debug", "web-1"]);
    let ename = debug
        .iter()
        .position(|a| a == "-c")
        .map(|i| debug[i + 1].clone())
        .unwrap();
    assert!(ename.starts_with("podcap-"), "{debug:?}");
    assert_eq!(
        debug[2..9],
        [
            "-n",
            "shop",
            "--profile=baseline",
            "--target=app",
            "-q",
            "--image=busybox:1.36",
            "-c"
        ],
        "{debug:?}"
    );
    assert!(
        has_call(
            &calls,
            &[
                "exec",
                "-i",
                "web-1",
                "-n",
                "shop",
                "-c",
                &ename,
                "--",
                "sh",
                "-c",
                "cat > /tmp/podcap && chmod 755 /tmp/podcap"
            ]
        ),
        "{calls:#?}"
    );
    let cap = find_call(
        &calls,
        &[
            "exec", "web-1", "-n", "shop", "-c", &ename, "--", "sh", "-c",
        ],
    );
    assert!(
        cap.ends_with(&[
            "/tmp/podcap".into(),
            "tcpdump".into(),
            "-i".into(),
            "any".into(),
            "-U".into(),
            "-w".into(),
            "-".into(),
            "-c".into(),
            "3".into(),
            format!("icmp and host {ip}")
        ]),
        "{cap:?}"
    );
    // The scratch container still holds nothing (the runtime's mount
    // points only); the ephemeral one ended and nothing runs in it.
    assert_eq!(k.files("web-1", "app"), Vec::<String>::new());
    assert!(k.files("web-1", &ename).contains(&"tmp/podcap".to_string()));
    assert_eq!(k.leftovers(), "");
}

/// Into the pod's own container, as ksniff does: kubectl cp where it has
/// tar; `exec -i sh -c cat` to / where it has sh but neither tar nor /tmp;
/// a refusal naming the other modes for scratch; and for a non-root
/// container (uid 1000, NET_RAW only in its bounding set) podcap's own
/// diagnosis: runAsUser 0, not "add NET_RAW".
#[test]
fn container_mode_with_tar_with_only_sh_and_without_either() {
    let w = World::flannel(3, 1);
    let pods = [
        PodSpec {
            name: "full",
            namespace: "default",
            sim: "pod1",
            labels: "{}",
            security: "null",
            containers: BUSYBOX,
        },
        PodSpec {
            name: "bare",
            namespace: "default",
            sim: "pod2",
            labels: "{}",
            security: "null",
            containers: r#"[{"name": "app", "image": "sh-only"}]"#,
        },
        PodSpec {
            name: "empty",
            namespace: "default",
            sim: "pod3",
            labels: "{}",
            security: "null",
            containers: SCRATCH,
        },
        PodSpec {
            name: "nonroot",
            namespace: "default",
            sim: "pod4",
            labels: "{}",
            security: r#"{"runAsUser": 1000}"#,
            containers: BUSYBOX,
        },
    ];
    let k = Cluster::up(&w, "1.31", &pods);
    for (pod, sim, via) in [
        ("full", "pod1", "kubectl cp"),
        ("bare", "pod2", "kubectl exec -i"),
    ] {
        k.forget_calls();
        let ip = w.pod(sim).ip.to_string();
        let _ping = Pinger::start(&w, if sim == "pod1" { "pod2" } else { "pod1" }, &ip);
        let out = k.file(&format!("{pod}.pcap"));
        let o = k.run(&[
            pod,
            "--mode",
            "container",
            "-o",
            &out.to_string_lossy(),
            "--count",
            "2",
            "--binary",
            PODCAP,
            "-f",
            "icmp",
        ]);
        assert!(o.status.success(), "{pod}: {}", text(&o));
        assert!(stderr_of(&o).contains(via), "{pod}: {}", text(&o));
        assert_eq!(tshark(&out, &["ip.src"]).len(), 2, "{pod}");
        let calls = k.calls();
        if pod == "full" {
            assert!(
                has_call(
                    &calls,
                    &["cp", PODCAP, "default/full:/tmp/podcap", "-c", "app"]
                ),
                "{calls:#?}"
            );
            assert!(
                has_call(
                    &calls,
                    &[
                        "exec",
                        "full",
                        "-n",
                        "default",
                        "-c",
                        "app",
                        "--",
                        "sh",
                        "-c",
                        "",
                        "/tmp/.podcap.pid",
                        "/tmp/podcap"
                    ]
                ),
                "{calls:#?}"
            );
        } else {
            assert!(
                has_call(
                    &calls,
                    &[
                        "exec", "-i", "bare", "-n", "default", "-c", "app", "--", "sh", "-c", "",
                        "/podcap"
                    ]
                ),
                "{calls:#?}"
            );
        }
        // podcap was removed again: only the image's own files remain.
        assert!(
            !k.files(pod, "app").iter().any(|f| f.contains("podcap")),
            "{pod}: {:?}",
            k.files(pod, "app")
        );
    }

    let o = k.run(&[
        "empty",
        "--mode",
        "container",
        "-o",
        "-",
        "--binary",
        PODCAP,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let e = stderr_of(&o);
    assert!(
        e.contains("neither sh nor tar (a scratch or distroless image)"),
        "{e}"
    );
    assert!(e.contains("what would work"), "{e}");

    let o = k.run(&[
        "nonroot",
        "--mode",
        "container",
        "-o",
        "-",
        "--count",
        "1",
        "--binary",
        PODCAP,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let e = stderr_of(&o);
    assert!(
        e.contains("podcap runs as uid 1000 and NET_RAW is in its bounding set"),
        "{e}"
    );
    assert!(e.contains("runAsUser: 0"), "{e}");
    assert!(e.contains("the capture failed"), "{e}");
    assert_eq!(k.leftovers(), "");
}

/// Several pods (a selector, and a deployment's): one debug pod per node,
/// captures at once, one pcapng by time with an interface per pod named
/// NODE/NAMESPACE/POD and described.
#[test]
fn several_pods_merged_into_one_pcapng() {
    let w = World::flannel(2, 1);
    let k = Cluster::up(&w, "1.31", &web_pods(WEB));
    let (ip1, ip3) = (w.pod("pod1").ip.to_string(), w.pod("pod3").ip.to_string());
    let _p1 = Pinger::start(&w, "pod2", &ip1);
    let _p3 = Pinger::start(&w, "pod2", &ip3);
    for how in [&["-l", "app=web"][..], &["deploy/web"]] {
        k.forget_calls();
        let out = k.file("all.pcapng");
        let mut args = how.to_vec();
        let o_s = out.to_string_lossy().into_owned();
        args.extend([
            "-n", "shop", "-o", &o_s, "--count", "6", "--binary", PODCAP, "-f", "icmp",
        ]);
        let o = k.run(&args);
        assert!(o.status.success(), "{how:?}: {}", text(&o));
        let lines = tshark(
            &out,
            &[
                "frame.interface_name",
                "frame.interface_description",
                "ip.dst",
                "ip.src",
            ],
        );
        assert_eq!(lines.len(), 12, "{lines:?}");
        for (name, ip, node) in [
            ("node1/shop/web-1", &ip1, "node1"),
            ("node2/shop/web-2", &ip3, "node2"),
        ] {
            let mine: Vec<&String> = lines
                .iter()
                .filter(|l| l.starts_with(&format!("{name}\t")))
                .collect();
            assert_eq!(mine.len(), 6, "{name}: {lines:?}");
            assert!(mine.iter().all(|l| l.contains(ip.as_str())), "{lines:?}");
            assert!(
                mine[0].contains(&format!(
                    "pod shop/{} ({ip}) on node {node}; interface veth",
                    &name[11..]
                )),
                "{mine:?}"
            );
        }
        let times: Vec<f64> = tshark(&out, &["frame.time_epoch"])
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|t| t[0] <= t[1]),
            "ordered by time: {times:?}"
        );
        let calls = k.calls();
        assert!(has_call(
            &calls,
            &[
                "debug",
                "node/node1",
                "-n",
                "shop",
                "--profile=netadmin",
                "--image=busybox:1.36",
                "--",
                "sleep",
                "43200"
            ]
        ));
        assert!(has_call(
            &calls,
            &[
                "debug",
                "node/node2",
                "-n",
                "shop",
                "--profile=netadmin",
                "--image=busybox:1.36",
                "--",
                "sleep",
                "43200"
            ]
        ));
        if how[0] == "deploy/web" {
            assert!(
                has_call(
                    &calls,
                    &[
                        "get",
                        "deploy",
                        "web",
                        "-o",
                        "jsonpath={.spec.selector.matchLabels}",
                        "-n",
                        "shop"
                    ]
                ),
                "{calls:#?}"
            );
            let list = find_call(&calls, &["get", "pods", "-l"]);
            assert_eq!(list[3], "app=web,tier=front", "{list:?}");
        }
        assert_eq!(k.leftovers(), "");
    }
}

/// Ctrl-C (SIGINT to the plugin's process group, as a terminal sends it):
/// podcap in the debug pod is stopped through kubectl exec (a remote
/// process does not get the laptop's Ctrl-C), the file ends whole, the
/// debug pod is deleted. --duration ends a capture the same way.
#[test]
fn ctrl_c_and_duration_stop_cleanly_and_remove_everything() {
    use std::os::unix::process::CommandExt;
    let w = World::flannel(2, 1);
    let k = Cluster::up(&w, "1.31", &web_pods(WEB));
    let ip = w.pod("pod1").ip.to_string();
    let _ping = Pinger::start(&w, "pod2", &ip);
    let out = k.file("int.pcap");
    let err = k.file("int.err");
    let mut child = k
        .plugin(&[
            "web-1",
            "-n",
            "shop",
            "-o",
            &out.to_string_lossy(),
            "--binary",
            PODCAP,
        ])
        .stderr(std::fs::File::create(&err).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    // Wait (never a timed assertion) until podcap listens and has written
    // a packet or more.
    for _ in 0..3000 {
        let e = std::fs::read_to_string(&err).unwrap_or_default();
        if e.contains("listening on")
            && std::fs::metadata(&out)
                .map(|m| m.len() > 200)
                .unwrap_or(false)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pgid = child.id() as i32;
    assert_eq!(
        Command::new("kill")
            .args(["-INT", "--", &format!("-{pgid}")])
            .status()
            .unwrap()
            .code(),
        Some(0)
    );
    let st = child.wait().unwrap();
    let e = std::fs::read_to_string(&err).unwrap();
    assert!(st.success(), "{st}: {e}");
    assert!(e.contains("stopping the capture (interrupted)"), "{e}");
    assert!(
        e.contains("packets captured"),
        "podcap printed its counts: {e}"
    );
    assert!(!tshark(&out, &["ip.src"]).is_empty());
    let calls = k.calls();
    assert!(
        has_call(
            &calls,
            &[
                "exec",
                "",
                "-n",
                "shop",
                "--",
                "sh",
                "-c",
                "kill -INT $(cat /tmp/podcap-0.pid)"
            ]
        ),
        "{calls:#?}"
    );
    assert!(calls.iter().any(|c| c[0] == "delete"), "{calls:#?}");
    assert_eq!(k.leftovers(), "");

    let o = k.run(&[
        "web-1",
        "-n",
        "shop",
        "-o",
        &out.to_string_lossy(),
        "--duration",
        "2",
        "--binary",
        PODCAP,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stderr_of(&o).contains("stopping the capture (--duration reached)"),
        "{}",
        text(&o)
    );
    assert!(!tshark(&out, &["ip.src"]).is_empty());
    assert_eq!(k.leftovers(), "");
}

/// Pod Security admission: in a "baseline" namespace node debugging is
/// refused and the ephemeral container (baseline profile) is admitted and
/// captures; in a "restricted" one every mode is refused or cannot
/// capture, and the message says that nothing can capture inside such a
/// pod and what would.
#[test]
fn pod_security_baseline_falls_back_and_restricted_says_why() {
    let w = World::flannel(2, 1);
    let pods = [
        PodSpec {
            name: "api",
            namespace: "base",
            sim: "pod1",
            labels: "{}",
            security: "null",
            containers: SCRATCH,
        },
        PodSpec {
            name: "vault",
            namespace: "locked",
            sim: "pod3",
            labels: "{}",
            security: r#"{"runAsUser": 1000, "runAsNonRoot": true}"#,
            containers: r#"[{"name": "app", "image": "busybox", "allowPrivilegeEscalation": false}]"#,
        },
    ];
    let k = Cluster::up(&w, "1.31", &pods);
    let ip = w.pod("pod1").ip.to_string();
    let _ping = Pinger::start(&w, "pod2", &ip);
    let out = k.file("api.pcap");
    let o = k.run(&[
        "api",
        "-n",
        "base",
        "-o",
        &out.to_string_lossy(),
        "--count",
        "2",
        "--binary",
        PODCAP,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let e = stderr_of(&o);
    assert!(
        e.contains("node mode refused for base/api: Error from server (Forbidden)"),
        "{e}"
    );
    assert!(
        e.contains("violates PodSecurity \"baseline:latest\": host namespaces"),
        "{e}"
    );
    assert!(e.contains("ephemeral mode: container podcap-"), "{e}");
    assert_eq!(tshark(&out, &["ip.src"]).len(), 2);
    assert_eq!(k.leftovers(), "");

    k.forget_calls();
    let o = k.run(&[
        "vault", "-n", "locked", "-o", "-", "--count", "1", "--binary", PODCAP,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let e = stderr_of(&o);
    assert!(
        e.contains("violates PodSecurity \"restricted:latest\""),
        "{e}"
    );
    assert!(
        e.contains("ephemeral mode refused for locked/vault: the pod sets runAsNonRoot"),
        "{e}"
    );
    assert!(
        e.contains("podcap runs as uid 1000"),
        "podcap's own diagnosis: {e}"
    );
    assert!(e.contains("no_new_privs is set"), "{e}");
    assert!(
        e.contains("under Pod Security \"restricted\" no capture is possible inside a pod"),
        "{e}"
    );
    // The node debug pod that admission refused was never made; nothing is
    // left in the container podcap was copied into.
    assert!(!k.calls().iter().any(|c| c[0] == "delete"));
    assert!(!k.files("vault", "app").iter().any(|f| f.contains("podcap")));
    assert_eq!(k.leftovers(), "");
}

/// --inside and --path enter the pod's namespace from the node: the
/// sysadmin profile; a kubectl without it (1.29) is told so, and one
/// without netadmin (1.26) gets the legacy profile for host-side capture.
#[test]
fn inside_needs_sysadmin_and_older_kubectl_gets_legacy() {
    let w = World::flannel(2, 1);
    let ip = w.pod("pod1").ip.to_string();
    let _ping = Pinger::start(&w, "pod2", &ip);
    let k = Cluster::up(&w, "1.31", &web_pods(WEB));
    let out = k.file("inside.pcap");
    let o = k.run_web1(
        &["--inside", "-o", &out.to_string_lossy(), "--count", "2"],
        "icmp",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        has_call(
            &k.calls(),
            &["debug", "node/node1", "-n", "shop", "--profile=sysadmin"]
        ),
        "{:#?}",
        k.calls()
    );
    let cap = k
        .calls()
        .into_iter()
        .find(|c| c.iter().any(|a| a == "capture"))
        .unwrap();
    assert!(cap.iter().any(|a| a == "--inside"), "{cap:?}");
    assert_eq!(tshark(&out, &["ip.src"]).len(), 2);
    assert_eq!(k.leftovers(), "");
    drop(k);

    let k = Cluster::up(&w, "1.29", &web_pods(WEB));
    let o = k.run(&[
        "web-1", "-n", "shop", "--inside", "-o", "-", "--binary", PODCAP,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr_of(&o).contains("needs the sysadmin profile (kubectl 1.30 or later"),
        "{}",
        text(&o)
    );
    assert!(
        !k.calls().iter().any(|c| c[0] == "debug" && c.len() > 2),
        "{:#?}",
        k.calls()
    );
    drop(k);

    let k = Cluster::up(&w, "1.26", &web_pods(WEB));
    let out = k.file("legacy.pcap");
    let o = k.run_web1(&["-o", &out.to_string_lossy(), "--count", "2"], "icmp");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        has_call(
            &k.calls(),
            &[
                "debug",
                "node/node1",
                "-n",
                "shop",
                "--profile=legacy",
                "--image=busybox:1.36"
            ]
        ),
        "{:#?}",
        k.calls()
    );
    assert_eq!(tshark(&out, &["ip.src"]).len(), 2);
    assert_eq!(k.leftovers(), "");
}

/// --dry-run looks the pods up and prints every other command instead of
/// running it; errors say what is wrong and still remove what was made.
#[test]
fn dry_run_and_errors() {
    let w = World::flannel(2, 1);
    let k = Cluster::up(&w, "1.31", &web_pods(WEB));
    let ip = w.pod("pod1").ip.to_string();
    let o = k.run_web1(&["--dry-run", "-o", "x.pcap"], "port 53");
    assert!(o.status.success(), "{}", text(&o));
    let printed = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines[0],
        "kubectl debug node/node1 -n shop --profile=netadmin --image=busybox:1.36 -- sleep 43200",
        "{printed}"
    );
    assert_eq!(
        lines[1],
        format!(
            "kubectl exec -i node-debugger-node1-XXXXX -n shop -- sh -c 'cat > /tmp/podcap && chmod 755 /tmp/podcap' < {PODCAP}"
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "kubectl exec node-debugger-node1-XXXXX -n shop -- sh -c 'echo $$ > \"$0\"; exec \"$@\"' /tmp/podcap-0.pid /tmp/podcap capture {ip} -U -w - 'port 53' > x.pcap"
        )
    );
    assert_eq!(
        lines[3],
        "kubectl delete pod node-debugger-node1-XXXXX -n shop --wait=false --ignore-not-found"
    );
    assert!(
        k.calls()
            .iter()
            .all(|c| c[0] == "get" || c[..] == ["debug", "--help"]),
        "{:#?}",
        k.calls()
    );
    assert!(!Path::new("x.pcap").exists());

    let o = k.run(&["nope", "-n", "shop", "-o", "-", "--binary", PODCAP]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_of(&o).contains("pods \"nope\" not found"),
        "{}",
        text(&o)
    );

    // podcap refuses the filter on the node: the error is shown and the
    // debug pod removed all the same.
    k.forget_calls();
    let o = k.run_web1(&["-o", "-"], "tcp port 99999");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let e = stderr_of(&o);
    assert!(e.contains("cannot compile filter"), "{e}");
    assert!(e.contains("the capture failed"), "{e}");
    assert!(k.calls().iter().any(|c| c[0] == "delete"));
    assert_eq!(k.leftovers(), "");

    let o = k.run(&["web-1", "--mode", "sideways"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr_of(&o).contains("--mode is node, ephemeral or container"));
}

/// Installed as krew installs it (a symlink in krew's bin to the plugin
/// in its store, the binaries beside the plugin): the binary for the
/// node's architecture is found there.
#[test]
fn finds_the_binaries_beside_it_through_a_symlink() {
    let w = World::flannel(2, 1);
    let k = Cluster::up(&w, "1.31", &web_pods(WEB));
    let store = k.file("store/podcap/v0.1.0");
    let bin = k.file("bin");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(plugin_path(), store.join("kubectl-podcap")).unwrap();
    std::fs::copy(PODCAP, store.join("podcap-linux-amd64")).unwrap();
    std::os::unix::fs::symlink(store.join("kubectl-podcap"), bin.join("kubectl-podcap")).unwrap();
    let c = k.plugin(&[]);
    let mut c2 = Command::new(bin.join("kubectl-podcap"));
    c2.args(["web-1", "-n", "shop", "--dry-run", "-o", "-"]);
    for (key, v) in c.get_envs() {
        match v {
            Some(v) => c2.env(key, v),
            None => c2.env_remove(key),
        };
    }
    let o = c2.output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(
        printed.contains(&format!("< {}", store.join("podcap-linux-amd64").display())),
        "{printed}"
    );
    std::fs::remove_file(store.join("podcap-linux-amd64")).unwrap();
    let o = c2.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr_of(&o).contains("no podcap binary for amd64"),
        "{}",
        text(&o)
    );
}
