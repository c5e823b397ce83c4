#!/usr/bin/env python3
"""libpcap's side of the filter-compile benchmark (BENCHMARKS.md).

Compiles every distinct expression of the conformance suite's accept cases
for EN10MB, RAW, LINUX_SLL and LINUX_SLL2 with libpcap's own pcap_compile
(through ctypes, in process, so no tcpdump start-up is timed), optimized and
not, and prints the mean time per expression and the total instructions.
podcap's side: cargo test --profile ci --test filter_differential bench_compile -- --ignored --nocapture

The suite is found as the tests find it: $PODCAP_CONFORMANCE, else
shared/conformance beside the repository or above it.
"""
import ctypes, ctypes.util, json, os, sys, time

here = os.path.dirname(os.path.abspath(__file__))
path = None
d = os.path.dirname(here)
env = os.environ.get("PODCAP_CONFORMANCE")
if env:
    path = os.path.join(env, "libpcap-testrun.json")
    if not os.path.exists(path):
        sys.exit(f"PODCAP_CONFORMANCE={env} holds no libpcap-testrun.json")
while path is None and d != "/":
    p = os.path.join(d, "shared/conformance/libpcap-testrun.json")
    if os.path.exists(p):
        path = p
        break
    d = os.path.dirname(d)
if path is None:
    sys.exit("shared/conformance/libpcap-testrun.json not found")

lib = ctypes.CDLL(ctypes.util.find_library("pcap") or "libpcap.so.0.8")

class Prog(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.c_void_p)]

lib.pcap_open_dead.restype = ctypes.c_void_p
lib.pcap_open_dead.argtypes = [ctypes.c_int, ctypes.c_int]
lib.pcap_compile.argtypes = [ctypes.c_void_p, ctypes.POINTER(Prog), ctypes.c_char_p, ctypes.c_int, ctypes.c_uint]
lib.pcap_freecode.argtypes = [ctypes.POINTER(Prog)]

DLT = {"EN10MB": 1, "RAW": 12, "LINUX_SLL": 113, "LINUX_SLL2": 276}
cases = json.load(open(path))["accept"]
seen = set()
work = []
for c in cases:
    if c["DLT"] in DLT and not c["linuxext"] and (c["DLT"], c["expr"]) not in seen:
        seen.add((c["DLT"], c["expr"]))
        work.append((DLT[c["DLT"]], c["expr"].encode()))

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
for optimize in (0, 1):
    handles = {dlt: lib.pcap_open_dead(dlt, 262144) for dlt in DLT.values()}
    ok = 0
    insns = 0
    # Thread CPU time, best of 3, as podcap's side measures: on a shared
    # machine wall time mostly measures the other jobs.
    best = None
    for _ in range(3):
        start = time.thread_time()
        for _ in range(rounds):
            ok = insns = 0
            for dlt, expr in work:
                prog = Prog()
                if lib.pcap_compile(handles[dlt], ctypes.byref(prog), expr, optimize, 0xFFFFFFFF) == 0:
                    ok += 1
                    insns += prog.bf_len
                    lib.pcap_freecode(ctypes.byref(prog))
        elapsed = time.thread_time() - start
        best = elapsed if best is None else min(best, elapsed)
    n = rounds * len(work)
    print(f"libpcap {'optimized' if optimize else 'unoptimized'}: {len(work)} expressions, "
          f"{ok} compiled, {insns} instructions, {best / n * 1e6:.1f} us CPU per expression, "
          f"best of 3 (ctypes call overhead included)")
