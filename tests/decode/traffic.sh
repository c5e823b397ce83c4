#!/usr/bin/env bash
# Builds two network namespaces joined by a veth (plus VXLAN 4789 and
# 8472 devices over it), captures with the real
# tcpdump while generating Kubernetes-shaped traffic, and leaves pcaps in
# OUTDIR:
#   eth.pcap    Ethernet on the veth (everything below)
#   any.pcap    `-i any` in the first namespace (LINUX_SLL)
#   any2.pcap   the same as LINUX_SLL2
#   exotic.pcap protocols podcap prints generically, on a second veth
# Usage: traffic.sh OUTDIR SUFFIX. Touches nothing outside the namespaces.
set -euo pipefail
out=$1
sfx=$2
A=pdA$sfx
B=pdB$sfx
C=pdC$sfx
cleanup() {
    for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    ip netns del "$C" 2>/dev/null || true
}
pids=()
trap cleanup EXIT
ip netns add "$A"
ip netns add "$B"
ip netns add "$C"
c() { ip netns exec "$C" "$@"; }
a() { ip netns exec "$A" "$@"; }
b() { ip netns exec "$B" "$@"; }
ip link add a0 netns "$A" type veth peer b0 netns "$B"
a ip link set lo up
b ip link set lo up
a ip link set a0 address 02:00:00:00:00:0a
b ip link set b0 address 02:00:00:00:00:0b
a ip addr add 10.77.0.1/24 dev a0
b ip addr add 10.77.0.2/24 dev b0
a ip addr add fd77::1/64 dev a0 nodad
b ip addr add fd77::2/64 dev b0 nodad
a ip link set a0 up
b ip link set b0 up
c ip link add x0 type veth peer x1
c ip link set x0 up
c ip link set x1 up
# VXLAN on the IANA port and on flannel's 8472. (VLAN, Geneve and IPIP
# frames are injected by inject.py: this kernel may lack those modules.)
a ip link add vx0 type vxlan id 42 remote 10.77.0.2 local 10.77.0.1 dstport 4789 dev a0
b ip link add vx0 type vxlan id 42 remote 10.77.0.1 local 10.77.0.2 dstport 4789 dev b0
a ip link add flannel.1 type vxlan id 1 remote 10.77.0.2 local 10.77.0.1 dstport 8472 dev a0
b ip link add flannel.1 type vxlan id 1 remote 10.77.0.1 local 10.77.0.2 dstport 8472 dev b0
a ip link set vx0 address 02:00:00:00:01:0a
b ip link set vx0 address 02:00:00:00:01:0b
a ip link set flannel.1 address 02:00:00:00:02:0a
b ip link set flannel.1 address 02:00:00:00:02:0b
a ip addr add 10.79.0.1/24 dev vx0
b ip addr add 10.79.0.2/24 dev vx0
a ip addr add 10.244.0.0/32 dev flannel.1
b ip addr add 10.244.1.0/32 dev flannel.1
for l in vx0 flannel.1; do a ip link set "$l" up; b ip link set "$l" up; done
# Flannel-style routes: pod subnets via the VXLAN device, static neighbours.
a ip route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
b ip route add 10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink
a ip neigh add 10.244.1.0 lladdr 02:00:00:00:02:0b dev flannel.1
b ip neigh add 10.244.0.0 lladdr 02:00:00:00:02:0a dev flannel.1

# Servers in B: TCP (plain, HTTP on 8080, DNS on 53), UDP echo, DNS on 53.
cat > "$out/servers.py" <<'PY'
import socket, struct, threading, sys
def tcp_server(fam, addr, port, reply):
    s = v6only(socket.socket(fam, socket.SOCK_STREAM), fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(16)
    while True:
        c, _ = s.accept()
        try:
            data = c.recv(65536)
            if reply: c.sendall(reply(data))
        except Exception: pass
        c.close()
def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"
def dns_answer(q):
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    # question section as sent
    i = 12
    while q[i] != 0: i += 1 + q[i]
    qend = i + 5
    qname = q[12:i + 1]; qtype = struct.unpack("!H", q[i+1:i+3])[0]
    question = q[12:qend]
    ans = b""; an = 0; ns = b""; nsn = 0; rcode = 0
    ptr = b"\xc0\x0c"
    if b"nxdomain" in qname:
        rcode = 3
        ns = ptr[:0] + name("cluster.local") + struct.pack("!HHIH", 6, 1, 30, 0)
        soa = name("ns.dns.cluster.local") + name("hostmaster.cluster.local") + struct.pack("!IIIII", 1, 7200, 1800, 86400, 30)
        ns = name("cluster.local") + struct.pack("!HHIH", 6, 1, 30, len(soa)) + soa
        nsn = 1
    elif qtype == 1:
        ans = ptr + struct.pack("!HHIH", 1, 1, 30, 4) + bytes([10, 96, 0, 1])
        ans += ptr + struct.pack("!HHIH", 1, 1, 30, 4) + bytes([10, 96, 0, 2]); an = 2
    elif qtype == 28:
        ans = ptr + struct.pack("!HHIH", 5, 1, 3600, 6) + name("x.io")[:-1] + b"\0"
        ans += ptr + struct.pack("!HHIH", 28, 1, 30, 16) + bytes.fromhex("fd000000000000000000000000000001"); an = 2
    elif qtype == 33:
        tgt = name("etcd-0.etcd.kube-system.svc.cluster.local")
        ans = ptr + struct.pack("!HHIHHHH", 33, 1, 30, 6 + len(tgt), 0, 100, 2379) + tgt; an = 1
    elif qtype == 12:
        ans = ptr + struct.pack("!HHIH", 12, 1, 30, 2) + ptr; an = 1
    elif qtype == 16:
        txt = b"\x05hello\x0bworld \x01\x7f!"
        ans = ptr + struct.pack("!HHIH", 16, 1, 30, len(txt)) + txt; an = 1
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    hdr = struct.pack("!HHHHHH", qid, 0x8580 | rcode, 1, an, nsn, 1)
    return hdr + question + ans + ns + opt
def v6only(s, fam):
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    return s
def udp_dns(fam, addr):
    s = v6only(socket.socket(fam, socket.SOCK_DGRAM), fam); s.bind((addr, 53))
    while True:
        q, peer = s.recvfrom(4096)
        try: s.sendto(dns_answer(q), peer)
        except Exception: pass
def udp_echo(fam, addr, port):
    s = v6only(socket.socket(fam, socket.SOCK_DGRAM), fam); s.bind((addr, port))
    while True:
        d, peer = s.recvfrom(65536); s.sendto(d, peer)
http = lambda d: b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
def tcp_dns(d):
    r = dns_answer(d[2:]); return struct.pack("!H", len(r)) + r
ts = [
    (tcp_server, (socket.AF_INET, "0.0.0.0", 45678, lambda d: d.upper())),
    (tcp_server, (socket.AF_INET6, "::", 45679, lambda d: d[::-1])),
    (tcp_server, (socket.AF_INET, "0.0.0.0", 8080, http)),
    (tcp_server, (socket.AF_INET, "0.0.0.0", 53, tcp_dns)),
    (udp_dns, (socket.AF_INET, "0.0.0.0")),
    (udp_dns, (socket.AF_INET6, "::")),
    (udp_echo, (socket.AF_INET, "0.0.0.0", 45680)),
    (udp_echo, (socket.AF_INET6, "::", 45680)),
]
for f, args in ts:
    threading.Thread(target=f, args=args, daemon=True).start()
print("ready", flush=True)
import time
time.sleep(300)
PY
cat > "$out/clients.py" <<'PY'
import socket, struct, time
def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"
def query(qid, qname, qtype, edns=True, rd=True):
    q = struct.pack("!HHHHHH", qid, 0x0100 if rd else 0, 1, 0, 0, 1 if edns else 0) + name(qname) + struct.pack("!HH", qtype, 1)
    if edns:
        q += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 12) + struct.pack("!HH", 10, 8) + bytes(range(8))
    return q
def dns(fam, server, port, q):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    s.settimeout(2); s.sendto(q, (server, 53))
    try: s.recv(4096)
    except OSError: pass
    s.close()
def tcp(fam, server, port, payload, sport):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    s.connect((server, port)); s.sendall(payload)
    got = b""
    while True:
        d = s.recv(65536)
        if not d: break
        got += d
    s.close()
def udp(fam, server, port, payload, sport):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    s.settimeout(2); s.sendto(payload, (server, port))
    try: s.recv(65536)
    except OSError: pass
    s.close()
dns(socket.AF_INET, "10.77.0.2", 40053, query(12345, "kubernetes.default.svc.cluster.local", 1, edns=False))
dns(socket.AF_INET, "10.77.0.2", 40054, query(4242, "web.prod.svc.cluster.local", 28))
dns(socket.AF_INET, "10.77.0.2", 40055, query(777, "_etcd._tcp.kube-system.svc.cluster.local", 33))
dns(socket.AF_INET, "10.77.0.2", 40056, query(778, "nxdomain.cluster.local", 1))
dns(socket.AF_INET, "10.77.0.2", 40057, query(779, "1.0.96.10.in-addr.arpa", 12, rd=False))
dns(socket.AF_INET, "10.77.0.2", 40058, query(780, "txt.cluster.local", 16))
dns(socket.AF_INET6, "fd77::2", 40059, query(781, "kube-dns.kube-system.svc.cluster.local", 1))
tcp(socket.AF_INET, "10.77.0.2", 45678, b"hello pod\n" * 50, 41000)
tcp(socket.AF_INET6, "fd77::2", 45679, b"ipv6 payload " * 20, 41001)
tcp(socket.AF_INET, "10.77.0.2", 8080, b"GET /healthz HTTP/1.1\r\nHost: 10.77.0.2:8080\r\nUser-Agent: kube-probe/1.29\r\n\r\n", 41002)
q = query(4343, "tcp.cluster.local", 1)
tcp(socket.AF_INET, "10.77.0.2", 53, struct.pack("!H", len(q)) + q, 41003)
udp(socket.AF_INET, "10.77.0.2", 45680, b"udp-payload\x00\x01\x02" * 3, 41004)
udp(socket.AF_INET6, "fd77::2", 45680, b"udp6", 41005)
udp(socket.AF_INET, "10.77.0.2", 45681, b"closed", 41006)
udp(socket.AF_INET6, "fd77::2", 45681, b"closed6", 41007)
udp(socket.AF_INET, "10.79.0.2", 45680, b"over vxlan", 41008)
udp(socket.AF_INET, "10.77.0.2", 45680, b"x" * 3000, 41009)
try:
    tcp(socket.AF_INET, "10.77.0.2", 45690, b"", 41010)
except OSError:
    pass
PY
ip netns exec "$B" python3 "$out/servers.py" </dev/null > "$out/servers.out" &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$out/servers.out" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$A" tcpdump -i a0 -s 0 -U --immediate-mode -w "$out/eth.pcap" 2>/dev/null &
pids+=($!); capeth=$!
ip netns exec "$A" tcpdump -i any -s 0 -U --immediate-mode -y LINUX_SLL -w "$out/any.pcap" 2>/dev/null &
pids+=($!); capany=$!
ip netns exec "$A" tcpdump -i any -s 0 -U --immediate-mode -y LINUX_SLL2 -w "$out/any2.pcap" 2>/dev/null &
pids+=($!); capany2=$!
ip netns exec "$C" tcpdump -i x0 -s 0 -U --immediate-mode -w "$out/exotic.pcap" 2>/dev/null &
pids+=($!); capx=$!
for f in eth any any2 exotic; do
    for _ in $(seq 100); do [ -s "$out/$f.pcap" ] && break; sleep 0.1; done
done
sleep 0.5
a ping -c 2 -i 0.2 10.77.0.2 >/dev/null
a ping -6 -c 2 -i 0.2 fd77::2 >/dev/null
a ping -c 1 -s 3000 10.77.0.2 >/dev/null
a ping -6 -c 1 -s 3000 fd77::2 >/dev/null
a ping -c 1 -W 1 10.77.0.9 >/dev/null || true
a ping -c 2 -i 0.2 10.79.0.2 >/dev/null
a ping -c 2 -i 0.2 -I 10.244.0.0 10.244.1.0 >/dev/null
a ping -c 1 -t 1 -W 1 10.244.1.0 >/dev/null || true
a python3 "$out/clients.py"
a python3 "$(dirname "$0")/inject.py" a0
c python3 "$(dirname "$0")/inject.py" x0 exotic
sleep 0.5
sleep 1
kill -INT $capeth $capany $capany2 $capx
wait $capeth $capany $capany2 $capx 2>/dev/null || true
