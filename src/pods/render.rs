//! `podcap pods` output: a table like `crictl pods` with the network side
//! (`-o wide` adds the UID, sandbox, processes and the sources that
//! answered), or one JSON array.

use super::json::quote;
use super::{Inventory, Pod, State};

fn ips(p: &Pod) -> String {
    if p.host_network {
        return "(node)".into();
    }
    if p.ips.is_empty() {
        return "-".into();
    }
    p.ips
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn netns(p: &Pod) -> String {
    match (&p.netns, p.host_network) {
        (_, true) => "(node)".into(),
        (Some(n), _) => n.path.display().to_string(),
        (None, _) => "-".into(),
    }
}

fn state(p: &Pod) -> &'static str {
    match p.state {
        State::Running => "Running",
        State::Gone => "Gone",
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut w = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut s = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            line += c;
            if i + 1 < r.len() {
                line += &" ".repeat(w[i] - c.chars().count() + 2);
            }
        }
        s += line.trim_end();
        s.push('\n');
    }
    s
}

impl Inventory {
    /// The table; `wide` adds UID, state, sandbox, containers, PIDs and
    /// sources.
    pub fn text(&self, wide: bool) -> String {
        let mut rows = vec![if wide {
            [
                "NAMESPACE",
                "NAME",
                "IP",
                "HOST-IF",
                "NETNS",
                "STATE",
                "UID",
                "SANDBOX",
                "CONTAINERS",
                "PID",
                "SOURCES",
            ]
            .map(String::from)
            .to_vec()
        } else {
            ["NAMESPACE", "NAME", "IP", "HOST-IF", "NETNS"]
                .map(String::from)
                .to_vec()
        }];
        for p in &self.pods {
            let mut r = vec![
                p.namespace_or("?").to_string(),
                p.name_or("?").to_string(),
                ips(p),
                p.host_if.clone().unwrap_or_else(|| "-".into()),
                netns(p),
            ];
            if wide {
                let containers: Vec<String> = p
                    .containers
                    .iter()
                    .filter(|c| !c.sandbox)
                    .map(|c| {
                        c.name
                            .clone()
                            .unwrap_or_else(|| c.id.chars().take(13).collect())
                    })
                    .collect();
                r.extend([
                    state(p).to_string(),
                    p.uid.clone().unwrap_or_else(|| "-".into()),
                    p.sandbox
                        .as_deref()
                        .map(|s| s.chars().take(13).collect())
                        .unwrap_or_else(|| "-".into()),
                    if containers.is_empty() {
                        "-".into()
                    } else {
                        containers.join(",")
                    },
                    p.pids
                        .first()
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".into()),
                    p.source_names(),
                ]);
            }
            rows.push(r);
        }
        table(&rows)
    }

    /// Warnings for stderr: disagreements, namespaces not entered, and
    /// (wide) what each source answered.
    pub fn notes(&self, wide: bool) -> String {
        let mut s = String::new();
        if let Some(w) = &self.root.why {
            s += &format!("podcap: node root {} ({w})\n", self.root.path.display());
        }
        if wide {
            for r in &self.sources {
                s += &format!(
                    "podcap: source {:<14} {:<60} {}\n",
                    r.source.name(),
                    r.path.display().to_string(),
                    match (&r.note, r.present) {
                        (Some(n), _) if r.found > 0 => format!("{} found ({n})", r.found),
                        (Some(n), _) => n.clone(),
                        (None, false) => "not on this node".into(),
                        (None, true) if r.skipped > 0 => {
                            format!("{} found, {} not understood", r.found, r.skipped)
                        }
                        (None, true) => format!("{} found", r.found),
                    }
                );
            }
        } else {
            s += &format!("podcap: sources: {}\n", self.sources_line());
        }
        if let Some(n) = &self.not_entered {
            s += &format!("podcap: {n}\n");
        }
        for p in &self.pods {
            for d in &p.disagreements {
                s += &format!("podcap: WARNING: pod {}: {d}\n", p.full_name());
            }
        }
        s
    }

    /// One JSON array of pods.
    pub fn json(&self) -> String {
        let items: Vec<String> = self.pods.iter().map(pod_json).collect();
        format!("[{}]", items.join(","))
    }
}

fn opt(v: Option<&str>) -> String {
    v.map(quote).unwrap_or_else(|| "null".into())
}

/// One pod as a JSON object.
pub fn pod_json(p: &Pod) -> String {
    let ips: Vec<String> = p.ips.iter().map(|i| quote(&i.to_string())).collect();
    let containers: Vec<String> = p
        .containers
        .iter()
        .map(|c| {
            format!(
                "{{\"id\":{},\"name\":{},\"sandbox\":{}}}",
                quote(&c.id),
                opt(c.name.as_deref()),
                c.sandbox
            )
        })
        .collect();
    let pids: Vec<String> = p.pids.iter().map(|x| x.to_string()).collect();
    let sources: Vec<String> = p.sources.iter().map(|s| quote(s.name())).collect();
    let dis: Vec<String> = p.disagreements.iter().map(|d| quote(d)).collect();
    format!(
        "{{\"namespace\":{},\"name\":{},\"uid\":{},\"state\":{},\"sandbox\":{},\"ips\":[{}],\"host_network\":{},\
         \"netns\":{},\"netns_inode\":{},\"pod_if\":{},\"host_if\":{},\"host_ifindex\":{},\"qos\":{},\
         \"cgroup_driver\":{},\"containers\":[{}],\"pids\":[{}],\"sources\":[{}],\"disagreements\":[{}]}}",
        opt(p.namespace.as_deref()),
        opt(p.name.as_deref()),
        opt(p.uid.as_deref()),
        quote(state(p)),
        opt(p.sandbox.as_deref()),
        ips.join(","),
        p.host_network,
        opt(p
            .netns
            .as_ref()
            .map(|n| n.path.display().to_string())
            .as_deref()),
        p.netns
            .as_ref()
            .map(|n| n.ino.to_string())
            .unwrap_or_else(|| "null".into()),
        opt(p.pod_if.as_deref()),
        opt(p.host_if.as_deref()),
        p.host_ifindex
            .map(|i| i.to_string())
            .unwrap_or_else(|| "null".into()),
        opt(p.qos),
        opt(p.cgroup_driver),
        containers.join(","),
        pids.join(","),
        sources.join(","),
        dis.join(",")
    )
}
