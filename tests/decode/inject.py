#!/usr/bin/env python3
"""Sends hand-built frames out of one interface (AF_PACKET), for what the
test kernel cannot produce itself: 802.1Q and QinQ tags, Geneve, IPIP,
IPv4 options, TCP SACK and rare options, ICMP errors and redirects,
IPv6 extension headers, router advertisements with options, DNS edge
cases; with "exotic", protocols podcap deliberately prints generically
(GRE, SCTP, LLDP, STP). Usage: inject.py IFNAME [exotic]"""
import socket, struct, sys

SRC = bytes.fromhex("02000000000a")
DST = bytes.fromhex("02000000000b")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload, ttl=64, ident=4660, flags=0x4000, opts=b"", tos=0):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, 20 + len(opts) + len(payload), ident, flags, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opts
    c = csum(h)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ip6(src, dst, nh, payload, hlim=64, flow=0):
    return struct.pack("!IHBB16s16s", 0x60000000 | flow, len(payload), nh, hlim,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + payload


def pseudo4(src, dst, proto, seg):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(seg))


def pseudo6(src, dst, proto, seg):
    return (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
            + struct.pack("!IxxxB", len(seg), proto))


def udp(src, dst, sport, dport, data, v6=False):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ph = (pseudo6 if v6 else pseudo4)(src, dst, 17, seg)
    c = csum(ph + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(src, dst, sport, dport, seq, ack, flags, opts=b"", data=b"", win=502, v6=False, urp=0):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, urp) + opts + data
    ph = (pseudo6 if v6 else pseudo4)(src, dst, 6, seg)
    c = csum(ph + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def icmp(t, code, rest, body=b""):
    m = struct.pack("!BBH", t, code, 0) + rest + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def icmp6(src, dst, t, code, body):
    m = struct.pack("!BBH", t, code, 0) + body
    c = csum(pseudo6(src, dst, 58, m) + m)
    return m[:2] + struct.pack("!H", c) + m[4:]


def eth(ethertype, payload, src=SRC, dst=DST):
    return dst + src + struct.pack("!H", ethertype) + payload


def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"


A, B = "10.77.0.1", "10.77.0.2"
A6, B6 = "fd77::1", "fd77::2"
frames = []
echo = icmp(8, 0, struct.pack("!HH", 99, 1), b"vlan-ping" * 4)
# 802.1Q VLAN 100 priority 3, then QinQ (802.1ad 10 outer, 802.1Q 20 inner), then DEI.
frames.append(eth(0x8100, struct.pack("!HH", (3 << 13) | 100, 0x0800) + ip4("10.78.0.1", "10.78.0.2", 1, echo)))
frames.append(eth(0x88A8, struct.pack("!HHHH", 10, 0x8100, 20, 0x0800) + ip4("10.81.0.1", "10.81.0.2", 1, echo)))
frames.append(eth(0x8100, struct.pack("!HH", 0x1000 | 7, 0x0806) + struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC,
              socket.inet_aton("10.78.0.1"), b"\0" * 6, socket.inet_aton("10.78.0.2")) + b"\0" * 18))
# Geneve (6081) with an option, carrying an Ethernet frame with ICMP.
inner = eth(0x0800, ip4("10.82.0.1", "10.82.0.2", 1, echo), bytes.fromhex("020000000301"), bytes.fromhex("020000000302"))
gopt = struct.pack("!HBB", 0x0101, 0x80, 1) + b"\x00\x00\x00\x2a"
gen = struct.pack("!BBHI", len(gopt) // 4, 0, 0x6558, 7 << 8) + gopt + inner
frames.append(eth(0x0800, ip4(A, B, 17, udp(A, B, 40000, 6081, gen))))
# Geneve carrying IPv4 directly (protocol 0x0800), no options.
gen2 = struct.pack("!BBHI", 0, 0x80, 0x0800, 7 << 8) + ip4("10.82.0.1", "10.82.0.2", 1, echo)
frames.append(eth(0x0800, ip4(A, B, 17, udp(A, B, 40001, 6081, gen2))))
# IPIP (Calico) and IPv6-in-IPv4.
frames.append(eth(0x0800, ip4(A, B, 4, ip4("10.83.0.1", "10.83.0.2", 1, echo))))
frames.append(eth(0x0800, ip4(A, B, 41, ip6("fd83::1", "fd83::2", 58, icmp6("fd83::1", "fd83::2", 128, 0, struct.pack("!HH", 5, 6))))))
# IPv4 options: record route and router alert; a fragment with the rsvd bit.
rr = bytes([7, 11, 4]) + socket.inet_aton("10.77.0.1") + socket.inet_aton("0.0.0.0") + b"\x01"
frames.append(eth(0x0800, ip4(A, B, 1, echo, opts=rr)))
frames.append(eth(0x0800, ip4(A, B, 2, bytes.fromhex("1600fa04e00000fb"), opts=bytes([148, 4, 0, 0]), ttl=1, tos=0xc0)))
frames.append(eth(0x0800, ip4(A, B, 17, b"\0" * 24, flags=0x8000 | 0x2000 | 100)))
# TCP: SACK blocks, timestamps, MD5, an unknown option, URG, ECE/CWR, no flags; RST with data.
o = struct.pack("!BB", 1, 1) + struct.pack("!BBII", 5, 10, 1000, 2000) + struct.pack("!BBII", 8, 10, 7, 8)
frames.append(eth(0x0800, ip4(A, B, 6, tcp(A, B, 43000, 45678, 500, 900, 0x10, o))))
o = struct.pack("!BB", 19, 18) + bytes(range(16)) + struct.pack("!BBH", 99, 4, 0xbeef) + b"\x00\x00\x00\x00"
frames.append(eth(0x0800, ip4(A, B, 6, tcp(A, B, 43001, 45678, 1, 0, 0xE2 | 0x20, o, urp=7))))
frames.append(eth(0x0800, ip4(A, B, 6, tcp(A, B, 43002, 45678, 1, 0, 0, b""))))
frames.append(eth(0x0800, ip4(A, B, 6, tcp(A, B, 43003, 45678, 1, 0, 0x14, b"", b"connection reset: \x01\xff"))))
o = struct.pack("!BBH", 2, 4, 1460) + struct.pack("!BB", 4, 2) + struct.pack("!BB", 34, 2) + struct.pack("!BBB", 3, 3, 7) + b"\x00"
frames.append(eth(0x0800, ip4(A, B, 6, tcp(A, B, 43004, 45678, 1, 0, 0x02, o))))
o = struct.pack("!BB", 5, 9) + b"\0" * 7 + b"\0\0\0"
frames.append(eth(0x0800, ip4(A, B, 6, tcp(A, B, 43005, 45678, 1, 0, 0x10, o))))
# ICMP: time exceeded quoting UDP, redirect, need-frag, parameter problem, timestamp, router advert, unknown.
quoted = ip4(B, "10.96.0.10", 17, udp(B, "10.96.0.10", 40000, 53, b"\0" * 12), ttl=1)[:28]
frames.append(eth(0x0800, ip4(A, B, 1, icmp(11, 0, b"\0\0\0\0", quoted))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(5, 1, socket.inet_aton("10.77.0.254"), quoted))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(3, 4, struct.pack("!HH", 0, 1450), quoted))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(3, 13, b"\0\0\0\0", quoted))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(12, 0, b"\x14\0\0\0", quoted))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(14, 0, struct.pack("!HH", 3, 4), struct.pack("!III", 3723004, 3723005, 3723006)))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(9, 0, struct.pack("!BBH", 1, 2, 1800), socket.inet_aton(A) + struct.pack("!I", 0)))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(42, 0, b"\0\0\0\0"))))
frames.append(eth(0x0800, ip4(A, B, 1, icmp(0, 0, struct.pack("!HH", 1, 2), b"bad") [:2] + b"\x12\x34" + struct.pack("!HH", 1, 2) + b"bad")))
# IPv6: hop-by-hop with router alert (MLDv2 report), destination options, routing type 4, fragment.
mld = struct.pack("!HH", 0, 1) + struct.pack("!BBH16s", 4, 0, 1, socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:2"))
hbh = struct.pack("!BB", 58, 0) + bytes([5, 2, 0, 0, 1, 0])
frames.append(eth(0x86DD, ip6(A6, "ff02::16", 0, hbh + icmp6(A6, "ff02::16", 143, 0, mld), hlim=1), dst=bytes.fromhex("333300000016")))
dst = struct.pack("!BB", 17, 0) + bytes([1, 4, 0, 0, 0, 0])
frames.append(eth(0x86DD, ip6(A6, B6, 60, dst + udp(A6, B6, 41100, 45680, b"dstopt", v6=True))))
srh = struct.pack("!BBBBBBH", 58, 2, 4, 0, 0, 0, 0) + socket.inet_pton(socket.AF_INET6, B6)
frames.append(eth(0x86DD, ip6(A6, B6, 43, srh + icmp6(A6, B6, 128, 0, struct.pack("!HH", 9, 9)))))
frag = struct.pack("!BBHI", 17, 0, 8 | 1, 0xabcd)
frames.append(eth(0x86DD, ip6(A6, B6, 44, frag + b"\0" * 16)))
frames.append(eth(0x86DD, ip6(A6, B6, 59, b"")))
# ND: router solicitation/advertisement with options, neighbour advert, redirect, MLD query, unreachable port.
sll = struct.pack("!BB", 1, 1) + SRC
frames.append(eth(0x86DD, ip6("fe80::a", "ff02::2", 58, icmp6("fe80::a", "ff02::2", 133, 0, b"\0" * 4 + sll), hlim=255)))
pi = struct.pack("!BBBBIII16s", 3, 4, 64, 0xC0, 2592000, 604800, 0, socket.inet_pton(socket.AF_INET6, "fd77::"))
mtu = struct.pack("!BBHI", 5, 1, 0, 1450)
rdnss = struct.pack("!BBHI16s", 25, 3, 0, 300, socket.inet_pton(socket.AF_INET6, "fd77::53"))
ra = struct.pack("!BBHII", 64, 0x88, 1800, 0, 0) + sll + pi + mtu + rdnss
frames.append(eth(0x86DD, ip6("fe80::a", "ff02::1", 58, icmp6("fe80::a", "ff02::1", 134, 0, ra), hlim=255)))
na = struct.pack("!I16s", 0xE0000000, socket.inet_pton(socket.AF_INET6, A6)) + struct.pack("!BB", 2, 1) + SRC
frames.append(eth(0x86DD, ip6(A6, B6, 58, icmp6(A6, B6, 136, 0, na), hlim=255)))
rd = struct.pack("!I16s16s", 0, socket.inet_pton(socket.AF_INET6, "fe80::1"), socket.inet_pton(socket.AF_INET6, "fd99::1"))
frames.append(eth(0x86DD, ip6("fe80::a", A6, 58, icmp6("fe80::a", A6, 137, 0, rd), hlim=255)))
mq = struct.pack("!HH16sBBH", 1000, 0, b"\0" * 16, 2, 125, 0)
frames.append(eth(0x86DD, ip6("fe80::a", "ff02::1", 58, icmp6("fe80::a", "ff02::1", 130, 0, mq), hlim=1)))
q6 = ip6(B6, A6, 17, udp(B6, A6, 45690, 41000, b"x", v6=True))
frames.append(eth(0x86DD, ip6(A6, B6, 58, icmp6(A6, B6, 1, 4, b"\0" * 4 + q6))))
frames.append(eth(0x86DD, ip6(A6, B6, 58, icmp6(A6, B6, 2, 0, struct.pack("!I", 1280) + q6))))
frames.append(eth(0x86DD, ip6(A6, B6, 58, icmp6(A6, B6, 3, 0, b"\0" * 4 + q6))))
frames.append(eth(0x86DD, ip6(A6, B6, 58, icmp6(A6, B6, 200, 0, b"\0" * 8))))
# DNS edge cases: compression loop, NXDomain with SOA, MX/TXT/SRV answers, multiple questions, update opcode.
loop = struct.pack("!HHHHHH", 5, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
frames.append(eth(0x0800, ip4(A, B, 17, udp(A, B, 41200, 53, loop))))
q2 = struct.pack("!HHHHHH", 6, 0x2800, 2, 0, 0, 0) + name("a.example") + struct.pack("!HH", 1, 1) + b"\xc0\x0c" + struct.pack("!HH", 28, 3)
frames.append(eth(0x0800, ip4(A, B, 17, udp(A, B, 41201, 53, q2))))
mx = name("ex.org") + struct.pack("!HH", 15, 1)
mxa = b"\xc0\x0c" + struct.pack("!HHIHH", 15, 1, 60, 9, 10) + name("mx") [:-1] + b"\xc0\x0c"
frames.append(eth(0x0800, ip4(B, A, 17, udp(B, A, 53, 41202, struct.pack("!HHHHHH", 7, 0x8400, 1, 1, 0, 0) + mx + mxa))))
frames.append(eth(0x0800, ip4(B, A, 17, udp(B, A, 53, 41203, struct.pack("!HHHHHH", 8, 0x8182, 1, 0, 0, 0) + mx))))
# mDNS query.
frames.append(eth(0x0800, ip4(A, "224.0.0.251", 17, udp(A, "224.0.0.251", 5353, 5353,
              struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 0) + name("printer.local") + struct.pack("!HH", 12, 0x8001)), ttl=255)))
# HTTP response on 8080 and a non-HTTP payload there.
frames.append(eth(0x0800, ip4(B, A, 6, tcp(B, A, 8080, 43010, 1, 1, 0x18, b"", b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))))
frames.append(eth(0x0800, ip4(A, B, 6, tcp(A, B, 43011, 8080, 1, 1, 0x18, b"", b"\x16\x03\x01binary"))))
# ESP, IGMP query, an unknown ethertype.
frames.append(eth(0x0800, ip4(A, B, 50, struct.pack("!II", 0x1000, 1) + b"\0" * 16)))
frames.append(eth(0x0800, ip4(A, "224.0.0.1", 2, bytes.fromhex("11640ee900000000"), ttl=1)))
frames.append(eth(0x88B5, b"local experimental ethertype payload"))
# Protocols tcpdump decodes and podcap prints generically (sent only with
# the "exotic" argument, captured apart): GRE, SCTP, LLDP, STP.
exotic = []
exotic.append(eth(0x0800, ip4(A, B, 47, struct.pack("!HH", 0, 0x0800) + ip4("1.1.1.1", "2.2.2.2", 1, echo))))
exotic.append(eth(0x0800, ip4(A, B, 132, b"\0" * 16)))
exotic.append(eth(0x88CC, bytes.fromhex("0207040200000000000a04030361300602007800000000000000000000000000"), dst=bytes.fromhex("0180c200000e")))
stp = bytes.fromhex("424203") + bytes.fromhex("000000000080000200000000000000000000800002000000000a800100001400020000")
exotic.append(struct.pack("!6s6sH", bytes.fromhex("0180c2000000"), SRC, len(stp)) + stp + b"\0" * 8)
# ARP reply and a gratuitous ARP.
frames.append(eth(0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, SRC, socket.inet_aton(A), DST, socket.inet_aton(B))))
frames.append(eth(0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC, socket.inet_aton(A), b"\xff" * 6, socket.inet_aton(A)), dst=b"\xff" * 6))

if len(sys.argv) > 2 and sys.argv[2] == "exotic":
    frames = exotic
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for f in frames:
    if len(f) < 60:
        f = f + b"\0" * (60 - len(f))
    s.send(f)
