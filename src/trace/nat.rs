//! The pod's translated connections, from the kernel's connection
//! tracking: which packets without the pod's address are its packets
//! after NAT (a masqueraded copy on the underlay, a NodePort's packet
//! before it is DNAT'd to the pod), and where a DNAT'd packet really goes
//! (the route of a Service packet is the route to its backend, not to the
//! Service address).
//!
//! Every translated conntrack entry involving the pod is kept under each
//! form its packets take on the node: as the pod sees them, fully
//! translated, and half-way (DNAT is applied in PREROUTING, SNAT in
//! POSTROUTING, so a packet crossing the bridge after DNAT has the new
//! destination and still the pod's source). Entries come from the dump
//! and the NEW events of [`crate::netlink::Socket::open_conntrack`];
//! memory is bounded (oldest entries dropped first).

use super::correlate::Dir;
use super::identity::{Flow, Transport};
use crate::netlink::Socket;
use crate::netlink::conntrack::{Entry, Tuple};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Connections kept at most.
const MAX_CONNECTIONS: usize = 1 << 16;

/// A miss asks the kernel's event queue again at most this often.
const REFRESH_EVERY: Duration = Duration::from_millis(1);

/// One direction of a translated connection of the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    /// Relative to the pod.
    pub dir: Dir,
    /// The packet as the pod sends or receives it.
    pub pod: Tuple,
    /// The packet outside: after NAT going out, before it coming in.
    pub nat: Tuple,
    /// The connection's mark.
    pub mark: u32,
    /// The pod opened the connection.
    pub pod_initiated: bool,
}

/// The tuple of a packet, as conntrack keys it (`None`: ARP, fragments,
/// protocols conntrack does not give ports or ids to).
pub fn tuple_of(flow: &Flow) -> Option<Tuple> {
    let (proto, sport, dport) = match flow.transport {
        Transport::Tcp { sport, dport, .. } => (6, sport, dport),
        Transport::Udp { sport, dport } => (17, sport, dport),
        Transport::Icmp {
            ty,
            code,
            echo: Some((id, _)),
        } => (1, id, u16::from(ty) << 8 | u16::from(code)),
        Transport::Icmp6 {
            ty,
            code,
            echo: Some((id, _)),
        } => (58, id, u16::from(ty) << 8 | u16::from(code)),
        _ => return None,
    };
    Some(Tuple {
        src: flow.src,
        dst: flow.dst,
        proto,
        sport,
        dport,
    })
}

/// The pod's translated connections, and the socket that keeps them
/// current.
pub struct Nat {
    pods: Vec<IpAddr>,
    sock: Option<Socket>,
    forms: HashMap<Tuple, Form>,
    /// The tuples inserted per connection, oldest first, for eviction.
    order: VecDeque<Vec<Tuple>>,
    /// Bumped whenever a connection is added: cached answers computed
    /// without one may be stale.
    pub generation: u64,
    /// Times the kernel dropped events (socket buffer full).
    pub overruns: u64,
    last_refresh: Option<Instant>,
    /// Entries seen (dump and events), the pod's or not.
    pub entries_read: u64,
}

impl Nat {
    /// No conntrack: nothing is translated as far as podcap knows.
    pub fn none(pods: Vec<IpAddr>) -> Nat {
        Nat {
            pods,
            sock: None,
            forms: HashMap::new(),
            order: VecDeque::new(),
            generation: 0,
            overruns: 0,
            last_refresh: None,
            entries_read: 0,
        }
    }

    /// From an event socket and the table dumped when it subscribed.
    pub fn new(pods: Vec<IpAddr>, sock: Socket, table: &[Entry]) -> Nat {
        let mut n = Nat::none(pods);
        n.sock = Some(sock);
        for e in table {
            n.insert(e);
        }
        n
    }

    /// Whether conntrack is being followed.
    pub fn live(&self) -> bool {
        self.sock.is_some()
    }

    /// Connections of the pod known now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Adds `e` if it is one of the pod's and translated.
    pub fn insert(&mut self, e: &Entry) {
        self.entries_read += 1;
        if !e.translated() {
            return;
        }
        // Initiated by the pod (its own address in the original tuple), or
        // towards it (the reply comes from the pod: DNAT to it, or not).
        let pod_initiated = self.pods.contains(&e.orig.src);
        let (out, inn) = if pod_initiated {
            ((e.orig, e.reply.reversed()), (e.orig.reversed(), e.reply))
        } else if self.pods.contains(&e.reply.src) {
            ((e.reply, e.orig.reversed()), (e.reply.reversed(), e.orig))
        } else {
            return;
        };
        if self.forms.contains_key(&out.0) && self.forms.contains_key(&out.1) {
            return;
        }
        while self.order.len() >= MAX_CONNECTIONS {
            if let Some(old) = self.order.pop_front() {
                for t in old {
                    self.forms.remove(&t);
                }
            }
        }
        let mut keys = Vec::with_capacity(8);
        for (dir, (pod, nat)) in [(Dir::Out, out), (Dir::In, inn)] {
            let f = Form {
                dir,
                pod,
                nat,
                mark: e.mark,
                pod_initiated,
            };
            // Pod's end from one form, the peer's from the other: the
            // packet between DNAT (PREROUTING) and SNAT (POSTROUTING).
            let (pod_end, peer_end) = match dir {
                Dir::Out => ((pod.src, pod.sport), (pod.dst, pod.dport)),
                Dir::In => ((pod.dst, pod.dport), (pod.src, pod.sport)),
            };
            let (nat_pod_end, nat_peer_end) = match dir {
                Dir::Out => ((nat.src, nat.sport), (nat.dst, nat.dport)),
                Dir::In => ((nat.dst, nat.dport), (nat.src, nat.sport)),
            };
            for me in [pod_end, nat_pod_end] {
                for peer in [peer_end, nat_peer_end] {
                    let t = match dir {
                        Dir::Out => Tuple {
                            src: me.0,
                            sport: me.1,
                            dst: peer.0,
                            dport: peer.1,
                            proto: pod.proto,
                        },
                        Dir::In => Tuple {
                            src: peer.0,
                            sport: peer.1,
                            dst: me.0,
                            dport: me.1,
                            proto: pod.proto,
                        },
                    };
                    if !keys.contains(&t) {
                        keys.push(t);
                        self.forms.insert(t, f);
                    }
                }
            }
        }
        self.order.push_back(keys);
        self.generation += 1;
    }

    /// Reads the events that arrived since the last call.
    pub fn refresh(&mut self) {
        let Some(s) = self.sock.as_mut() else {
            return;
        };
        self.last_refresh = Some(Instant::now());
        match s.conntrack_events() {
            Ok(ev) => {
                if ev.overrun {
                    self.overruns += 1;
                }
                for e in &ev.entries {
                    self.insert(e);
                }
            }
            // The socket is gone (netns torn down): no more updates.
            Err(_) => self.sock = None,
        }
    }

    /// The pod's connection `t` belongs to, as known now.
    pub fn get(&self, t: &Tuple) -> Option<&Form> {
        self.forms.get(t)
    }

    /// [`Nat::get`], reading the kernel's news first on a miss (at most
    /// every millisecond): an entry confirmed after the last read is found.
    pub fn lookup(&mut self, t: &Tuple) -> Option<Form> {
        if let Some(f) = self.forms.get(t) {
            return Some(*f);
        }
        let stale = self
            .last_refresh
            .is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
        if self.sock.is_some() && stale {
            self.refresh();
            return self.forms.get(t).copied();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(src: &str, sport: u16, dst: &str, dport: u16, proto: u8) -> Tuple {
        Tuple {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            proto,
            sport,
            dport,
        }
    }

    #[test]
    fn masquerade_both_ways() {
        let pod = "10.244.0.2";
        let e = Entry {
            orig: t(pod, 40000, "192.168.56.1", 53, 17),
            reply: t("192.168.56.1", 53, "192.168.56.11", 40312, 17),
            status: 0,
            mark: 0,
            id: 1,
        };
        let mut n = Nat::none(vec![pod.parse().unwrap()]);
        n.insert(&e);
        let out = n
            .get(&t("192.168.56.11", 40312, "192.168.56.1", 53, 17))
            .unwrap();
        assert_eq!(out.dir, Dir::Out);
        assert_eq!(out.pod, e.orig);
        let back = n
            .get(&t("192.168.56.1", 53, "192.168.56.11", 40312, 17))
            .unwrap();
        assert_eq!(back.dir, Dir::In);
        assert_eq!(back.pod, t("192.168.56.1", 53, pod, 40000, 17));
        assert!(
            n.get(&t("192.168.56.11", 1, "192.168.56.1", 53, 17))
                .is_none()
        );
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn service_dnat_and_half_translated_forms() {
        // pod -> Service 10.96.0.10:80, DNAT to 10.244.0.3:8080, and
        // masqueraded too (SNAT to the node).
        let pod = "10.244.0.2";
        let e = Entry {
            orig: t(pod, 5000, "10.96.0.10", 80, 6),
            reply: t("10.244.0.3", 8080, "192.168.56.11", 6000, 6),
            status: 0,
            mark: 9,
            id: 1,
        };
        let mut n = Nat::none(vec![pod.parse().unwrap()]);
        n.insert(&e);
        // After DNAT, before SNAT.
        let half = n.get(&t(pod, 5000, "10.244.0.3", 8080, 6)).unwrap();
        assert_eq!(half.dir, Dir::Out);
        assert_eq!(half.nat.dst.to_string(), "10.244.0.3");
        assert_eq!(half.mark, 9);
        // The backend's reply before it is un-SNAT'd.
        let r = n
            .get(&t("10.244.0.3", 8080, "192.168.56.11", 6000, 6))
            .unwrap();
        assert_eq!(r.dir, Dir::In);
    }

    #[test]
    fn connections_towards_the_pod_and_untranslated_ones() {
        let pod = "10.244.0.2";
        let mut n = Nat::none(vec![pod.parse().unwrap()]);
        // hostPort: 192.168.56.1:3333 -> node:8080, DNAT to pod:80.
        n.insert(&Entry {
            orig: t("192.168.56.1", 3333, "192.168.56.11", 8080, 6),
            reply: t(pod, 80, "192.168.56.1", 3333, 6),
            status: 0,
            mark: 0,
            id: 2,
        });
        let f = n
            .get(&t("192.168.56.1", 3333, "192.168.56.11", 8080, 6))
            .unwrap();
        assert_eq!(f.dir, Dir::In);
        assert_eq!(f.pod.dst.to_string(), pod);
        // Not translated, or not the pod's: not kept.
        n.insert(&Entry {
            orig: t(pod, 1, "10.244.0.3", 2, 6),
            reply: t("10.244.0.3", 2, pod, 1, 6),
            status: 0,
            mark: 0,
            id: 3,
        });
        n.insert(&Entry {
            orig: t("10.244.0.9", 1, "10.96.0.1", 2, 6),
            reply: t("10.244.0.7", 2, "10.244.0.9", 1, 6),
            status: 0,
            mark: 0,
            id: 4,
        });
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn bounded() {
        let pod = "10.244.0.2";
        let mut n = Nat::none(vec![pod.parse().unwrap()]);
        for p in 0..(MAX_CONNECTIONS + 10) as u32 {
            let port = (p % 60000) as u16 + 1;
            let host = format!("192.168.{}.{}", p / 60000, 1 + p % 200);
            n.insert(&Entry {
                orig: t(pod, port, &host, 53, 17),
                reply: t(&host, 53, "192.168.56.11", port, 17),
                status: 0,
                mark: 0,
                id: p,
            });
        }
        assert!(n.len() <= MAX_CONNECTIONS);
        assert!(n.forms.len() <= MAX_CONNECTIONS * 8);
    }
}
