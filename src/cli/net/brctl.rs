//! `brctl showmacs` and `brctl showstp`, printed as bridge-utils prints
//! them, from netlink with sysfs as the fallback.

use super::{BrctlArgs, name_of, names, out};
use crate::locate::{self, sysfs};
use crate::netlink::{self, Link, Socket, neigh as nd};
use crate::{Error, Result};

fn timer(ticks: u64) -> String {
    format!("{:4}.{:02}", ticks / 100, ticks % 100)
}

pub(super) fn brctl_cmd(a: BrctlArgs) -> Result<i32> {
    match a.action.as_str() {
        "showmacs" => showmacs(&a.bridge),
        "showstp" => showstp(&a.bridge),
        other => Err(
            Error::usage(format!("brctl action `{other}` is not supported"))
                .hint("podcap brctl showmacs BRIDGE | podcap brctl showstp BRIDGE"),
        ),
    }
}

fn bridge_link(nl: &mut Socket, br: &str) -> Result<Link> {
    let l = nl.link_by_name(br)?;
    if l.kind != netlink::LinkKind::Bridge {
        return Err(Error::not_found(
            format!("bridge {br}"),
            format!(
                "{br} is a {} device, not a bridge",
                if l.kind.is_device() {
                    "plain"
                } else {
                    l.kind.as_str()
                }
            ),
        )
        .hint("list bridges with `podcap link`"));
    }
    Ok(l)
}

/// `brctl showmacs`: port no, MAC, is local?, ageing timer; sorted by MAC.
fn showmacs(br: &str) -> Result<i32> {
    let mut nl = Socket::open()?;
    let brl = bridge_link(&mut nl, br)?;
    let links = names(&mut nl)?;
    let fdb = if locate::fdb_from_sysfs() {
        Err(Error::unsupported("netlink FDB", "PODCAP_FDB=sysfs"))
    } else {
        nl.bridge_fdb(brl.ifindex)
    };
    let rows: Vec<sysfs::FdbRepr> = match fdb {
        Ok(v) => v
            .into_iter()
            .filter(|e| e.ifindex != brl.ifindex)
            .filter_map(|e| {
                let mac = e.mac()?;
                let port_no = links
                    .get(&e.ifindex)
                    .and_then(|l| l.brport_no)
                    .or_else(|| {
                        let name = name_of(&links, e.ifindex);
                        sysfs::port_attr(br, &name, "port_no")
                            .and_then(|s| u16::from_str_radix(s.trim_start_matches("0x"), 16).ok())
                    })?;
                // Static entries (local ones included) do not age: brctl
                // shows 0.00 for them.
                let is_static = e.state & (nd::NUD_PERMANENT | nd::NUD_NOARP) != 0;
                Some(sysfs::FdbRepr {
                    mac,
                    port_no,
                    is_local: e.state & nd::NUD_PERMANENT != 0,
                    ageing_ticks: if is_static {
                        0
                    } else {
                        e.cache.map(|c| c.updated).unwrap_or(0)
                    },
                })
            })
            .collect(),
        Err(_) => sysfs::brforward(br)?,
    };
    let mut rows = rows;
    // bridge-utils sorts by MAC address (memcmp), not by port.
    rows.sort_by_key(|r| r.mac);
    let mut s = String::from("port no\tmac addr\t\tis local?\tageing timer\n");
    for r in rows {
        s += &format!(
            "{:3}\t{}\t{}\t\t{}\n",
            r.port_no,
            nd::format_mac(&r.mac),
            if r.is_local { "yes" } else { "no" },
            timer(u64::from(r.ageing_ticks))
        );
    }
    out(&s)?;
    Ok(0)
}

/// `brctl showstp`: the bridge's STP view from sysfs, as bridge-utils.
fn showstp(br: &str) -> Result<i32> {
    let mut nl = Socket::open()?;
    bridge_link(&mut nl, br)?;
    if !sysfs::is_bridge(br) {
        return Err(Error::not_found(
            format!("/sys/class/net/{br}/bridge"),
            "sysfs here belongs to another network namespace",
        )
        .hint("run podcap through `ip netns exec NS` (it remounts /sys) or on the node itself"));
    }
    let b = |n: &str| sysfs::bridge_attr(br, n).unwrap_or_default();
    let bn = |n: &str| {
        sysfs::bridge_attr(br, n)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let mut s = format!("{br}\n");
    s += &format!(" bridge id\t\t{}\n", b("bridge_id"));
    s += &format!(" designated root\t{}\n", b("root_id"));
    s += &format!(
        " root port\t\t{:4}\t\t\tpath cost\t\t{:4}\n",
        bn("root_port"),
        bn("root_path_cost")
    );
    s += &format!(
        " max age\t\t{}\t\t\tbridge max age\t\t{}\n",
        timer(bn("max_age")),
        timer(bn("max_age"))
    );
    s += &format!(
        " hello time\t\t{}\t\t\tbridge hello time\t{}\n",
        timer(bn("hello_time")),
        timer(bn("hello_time"))
    );
    s += &format!(
        " forward delay\t\t{}\t\t\tbridge forward delay\t{}\n",
        timer(bn("forward_delay")),
        timer(bn("forward_delay"))
    );
    s += &format!(" ageing time\t\t{}\n", timer(bn("ageing_time")));
    s += &format!(
        " hello timer\t\t{}\t\t\ttcn timer\t\t{}\n",
        timer(bn("hello_timer")),
        timer(bn("tcn_timer"))
    );
    s += &format!(
        " topology change timer\t{}\t\t\tgc timer\t\t{}\n",
        timer(bn("topology_change_timer")),
        timer(bn("gc_timer"))
    );
    s += " flags\t\t\t";
    if bn("topology_change") != 0 {
        s += "TOPOLOGY_CHANGE ";
    }
    if bn("topology_change_detected") != 0 {
        s += "TOPOLOGY_CHANGE_DETECTED ";
    }
    s += "\n\n\n";
    for (port, no) in sysfs::ports(br)? {
        let pa = |n: &str| sysfs::port_attr(br, &port, n).unwrap_or_default();
        let pn = |n: &str| {
            sysfs::read_num(&std::path::PathBuf::from(format!(
                "/sys/class/net/{br}/brif/{port}/{n}"
            )))
            .unwrap_or(0)
        };
        let state = match pn("state") {
            0 => "disabled",
            1 => "listening",
            2 => "learning",
            3 => "forwarding",
            4 => "blocking",
            _ => "unknown",
        };
        s += &format!("{port} ({no})\n");
        s += &format!(
            " port id\t\t{:04x}\t\t\tstate\t\t{state:>15}\n",
            pn("port_id")
        );
        s += &format!(
            " designated root\t{}\tpath cost\t\t{:4}\n",
            pa("designated_root"),
            pn("path_cost")
        );
        s += &format!(
            " designated bridge\t{}\tmessage age timer\t{}\n",
            pa("designated_bridge"),
            timer(pn("message_age_timer"))
        );
        s += &format!(
            " designated port\t{:04x}\t\t\tforward delay timer\t{}\n",
            pn("designated_port"),
            timer(pn("forward_delay_timer"))
        );
        s += &format!(
            " designated cost\t{:4}\t\t\thold timer\t\t{}\n",
            pn("designated_cost"),
            timer(pn("hold_timer"))
        );
        s += " flags\t\t\t";
        if pn("config_pending") != 0 {
            s += "CONFIG_PENDING ";
        }
        if pn("change_ack") != 0 {
            s += "TOPOLOGY_CHANGE_ACK ";
        }
        let hp = pn("hairpin_mode");
        if hp != 0 {
            s += &format!("\n hairpin mode\t\t{hp:4}");
        }
        s += "\n\n";
    }
    out(&s)?;
    Ok(0)
}
