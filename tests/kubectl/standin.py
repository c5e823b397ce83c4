"""A stand-in for kubectl and the cluster behind it, for the kubectl plugin's
tests (tests/kubectl_plugin.rs).

kubectl cannot reach a cluster here (there is none, and no outside network),
so this program plays both: it answers the kubectl commands the plugin makes
(get, debug, exec, cp, delete, version) and carries them out against pods and
nodes simulated in network namespaces (scripts/simnode worlds):

- a node is a simnode node namespace;
- a container is a mount namespace held by a process (a pause container),
  inside the pod's network namespace, whose root directory holds its image:
  "busybox" (static busybox with its applets), "busybox-notar" (the same
  without tar), "sh-only" (busybox sh, cat, chmod, rm, kill, sleep: no tar,
  no /tmp), "scratch" (nothing but the runtime's /proc, /sys and /dev);
- a process in a container (its main command, `kubectl exec`) runs chrooted
  there with the container's uid and capabilities (capsh: containerd's
  default set, what a profile adds, or privileged), and no_new_privs when
  allowPrivilegeEscalation is false;
- a node debug pod (`kubectl debug node/N`) is a container in the node's
  namespace (hostNetwork, hostPID; the node's / at /host except for
  netadmin), an ephemeral container (`kubectl debug POD --target=C`) one in
  the pod's network namespace;
- Pod Security admission (the namespace's enforce level) and RBAC refusals
  are answered with kubectl's messages.

Every call is recorded (calls.log, one JSON array a line) so that tests can
assert what a real kubectl would have been asked. State lives in the
directory $PODCAP_KUBE; `cluster up SPEC` builds it, `cluster down` removes
every process and directory it made.
"""

import fcntl
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tarfile
import tempfile
import io
import time

CAP_NAMES = [
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
    "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
    "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
    "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
    "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
    "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
]

# containerd's (and runc's, docker's) default capabilities.
CONTAINERD_CAPS = [
    "chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid",
    "setuid", "setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill",
    "audit_write",
]

BUSYBOX = "/bin/busybox"
SH_ONLY = ["sh", "cat", "chmod", "rm", "kill", "sleep", "mkdir", "ls", "id", "head", "echo", "test", "["]
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def die(msg, code=1):
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.exit(code)


def state_dir():
    d = os.environ.get("PODCAP_KUBE")
    if not d:
        die("stand-in kubectl: PODCAP_KUBE is not set (this kubectl is the test suite's stand-in)", 99)
    return d


class State:
    """state.json under an exclusive lock, saved on exit of the with block."""

    def __enter__(self):
        d = state_dir()
        self.lock = open(os.path.join(d, "lock"), "a+")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        with open(os.path.join(d, "state.json")) as f:
            self.s = json.load(f)
        return self.s

    def __exit__(self, *exc):
        d = state_dir()
        tmp = os.path.join(d, "state.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.s, f, indent=1)
        os.replace(tmp, os.path.join(d, "state.json"))
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()
        return False


def read_state():
    with open(os.path.join(state_dir(), "state.json")) as f:
        return json.load(f)


def record(argv):
    with open(os.path.join(state_dir(), "calls.log"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(argv) + "\n")


# ---------------------------------------------------------------- processes

def start_time(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return None if fields[0] in ("Z", "X") else fields[19]
    except OSError:
        return None


def alive(proc):
    """proc: [pid, starttime] as recorded."""
    return bool(proc) and start_time(proc[0]) == proc[1]


def mnt_ns(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def processes_in(mnt):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != os.getpid() and mnt_ns(p) == mnt:
            out.append(int(p))
    return out


def build_root(root, image):
    """An image's files: see the module documentation."""
    os.makedirs(root, exist_ok=True)
    for d in ("proc", "sys", "dev"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    if image == "scratch":
        return
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    if image == "sh-only":
        applets = SH_ONLY
    else:
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split()
        if image == "busybox-notar":
            applets = [a for a in applets if a != "tar"]
    for a in applets:
        if a != "busybox" and "/" not in a:
            os.symlink("busybox", os.path.join(root, "bin", a))
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    if image != "sh-only":
        os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
        os.chmod(os.path.join(root, "tmp"), 0o1777)


def spawn_holder(netns, root, host_root):
    """The pause process of a container: a mount namespace of its own
    (private mounts) inside `netns`, with /proc, a /sys of that network
    namespace and /dev mounted in the container's root."""
    script = (
        'mount -t proc proc "$1/proc" && mount -t sysfs sysfs "$1/sys" && '
        'mount --rbind /dev "$1/dev" && '
        + ('mkdir -p "$1/host" && mount --rbind / "$1/host" && ' if host_root else "")
        + "exec sleep 1000000"
    )
    p = subprocess.Popen(
        ["nsenter", f"--net={netns}", "--", "unshare", "--mount", "--propagation", "private",
         "--", "/bin/sh", "-c", script, "holder", root],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Ready once the pause process is sleep in a mount namespace of its own.
    mine = mnt_ns(os.getpid())
    for _ in range(1000):
        try:
            comm = open(f"/proc/{p.pid}/comm").read().strip()
        except OSError:
            comm = ""
        if comm == "sleep" and mnt_ns(p.pid) not in (None, mine):
            return [p.pid, start_time(p.pid)]
        if p.poll() is not None:
            die(f"stand-in: the pause process of {root} failed", 98)
        time.sleep(0.01)
    die(f"stand-in: the pause process of {root} did not start", 98)


def resolve_in_root(root, cmd):
    """The path of `cmd` inside the container, as runc's exec resolves it."""
    def exe(p):
        full = os.path.join(root, p.lstrip("/"))
        real = os.path.realpath(full)
        # Links inside the image are relative to it (busybox's are).
        return os.path.isfile(real) and os.access(real, os.X_OK) and real.startswith(os.path.realpath(root))
    if "/" in cmd:
        return cmd if exe(cmd) else None
    for d in PATH.split(":"):
        if exe(f"{d}/{cmd}"):
            return f"{d}/{cmd}"
    return None


def oci_exec_error(cmd, missing_path):
    if missing_path:
        why = f'exec: "{cmd}": stat {cmd}: no such file or directory'
    else:
        why = f'exec: "{cmd}": executable file not found in $PATH'
    return (
        "error: Internal error occurred: error executing command in container: failed to exec in "
        f'container: failed to start exec "{random_suffix(12)}": OCI runtime exec failed: exec failed: '
        f"unable to start container process: {why}: unknown"
    )


def container_argv(c, argv, pod_name):
    """nsenter + capsh running argv in container record c."""
    caps = c["caps"]
    keep = CAP_NAMES if caps == "privileged" else caps
    cmd = ["env", "-i", f"PATH={PATH}", f"HOSTNAME={pod_name}",
           "KUBERNETES_SERVICE_HOST=10.96.0.1", "KUBERNETES_SERVICE_PORT=443",
           "nsenter", f"--target={c['holder'][0]}", "--mount", "--net", f"--wd={c['root']}",
           "--", "capsh", f"--chroot={c['root']}"]
    drop = [f"cap_{n}" for n in CAP_NAMES if n not in keep]
    if drop:
        cmd.append("--drop=" + ",".join(drop))
    if c.get("nnp"):
        cmd.append("--no-new-privs")
    if c["uid"] != 0:
        cmd += [f"--gid={c['uid']}", f"--groups={c['uid']}", f"--uid={c['uid']}"]
    cmd += [f"--shell={argv[0]}", "--"] + argv[1:]
    return cmd


def random_suffix(n=5):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


# --------------------------------------------------------- the API objects

def pod_key(ns, name):
    return f"{ns}/{name}"


def container_view(c):
    v = {"name": c["name"], "image": c["image"]}
    sc = {}
    if c.get("spec_run_as_user") is not None:
        sc["runAsUser"] = c["spec_run_as_user"]
    if c.get("nnp"):
        sc["allowPrivilegeEscalation"] = False
    if c["caps"] == "privileged":
        sc["privileged"] = True
    if sc:
        v["securityContext"] = sc
    if c.get("target"):
        v["targetContainerName"] = c["target"]
    return v


def container_status(c):
    st = {"name": c["name"], "image": c["image"]}
    if c.get("waiting"):
        st["state"] = {"waiting": {"reason": c["waiting"], "message": c.get("message", "")}}
    elif c.get("main") and not alive(c["main"]):
        st["state"] = {"terminated": {"exitCode": 0, "reason": "Completed"}}
    else:
        st["state"] = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
    return st


def pod_view(p):
    containers = [c for c in p["containers"] if not c.get("ephemeral")]
    eph = [c for c in p["containers"] if c.get("ephemeral")]
    spec = {
        "nodeName": p["node"],
        "containers": [container_view(c) for c in containers],
    }
    if p.get("securityContext"):
        spec["securityContext"] = p["securityContext"]
    if eph:
        spec["ephemeralContainers"] = [container_view(c) for c in eph]
    if p.get("debug"):
        spec["hostNetwork"] = True
        spec["hostPID"] = True
    phase = "Running"
    if p.get("debug") and containers and containers[0].get("main") and not alive(containers[0]["main"]):
        phase = "Succeeded"
    status = {
        "phase": phase,
        "podIP": p["ip"],
        "containerStatuses": [container_status(c) for c in containers],
    }
    if eph:
        status["ephemeralContainerStatuses"] = [container_status(c) for c in eph]
    meta = {"name": p["name"], "namespace": p["namespace"]}
    if p.get("labels"):
        meta["labels"] = p["labels"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def node_view(name, n):
    return {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
        "status": {
            "nodeInfo": {"architecture": n.get("arch", "amd64"), "kubeletVersion": "v1.31.0",
                         "operatingSystem": "linux"},
            "addresses": [{"type": "InternalIP", "address": n.get("ip", "")},
                          {"type": "Hostname", "address": name}],
        },
    }


def workload_view(kind, w):
    return {
        "apiVersion": "apps/v1", "kind": kind,
        "metadata": {"name": w["name"], "namespace": w["namespace"]},
        "spec": {"selector": {"matchLabels": w["matchLabels"]}},
    }


# ------------------------------------------------------------------ jsonpath

def jp_parse_path(expr):
    """'.a.b[*].c[?(@.name=="x")]' -> steps."""
    steps = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch == ".":
            if expr[i + 1:i + 2] == ".":
                die(f"stand-in kubectl: jsonpath recursive descent is not supported: {expr}", 99)
            j = i + 1
            while j < len(expr) and expr[j] not in ".[":
                j += 1
            steps.append(("key", expr[i + 1:j]))
            i = j
        elif ch == "[":
            j = expr.index("]", i) if not expr.startswith("[?(", i) else expr.index(")]", i) + 1
            inner = expr[i + 1:j]
            if inner == "*":
                steps.append(("all", None))
            elif inner.startswith("?("):
                m = re.fullmatch(r'\?\(@\.([\w.]+)\s*==\s*"([^"]*)"\)', inner)
                if not m:
                    die(f"stand-in kubectl: unsupported jsonpath filter: {inner}", 99)
                steps.append(("filter", (m.group(1), m.group(2))))
            elif inner.lstrip("-").isdigit():
                steps.append(("index", int(inner)))
            else:
                die(f"stand-in kubectl: unsupported jsonpath subscript: {inner}", 99)
            i = j + 1
        elif ch == "@" and i == 0:
            i += 1
        else:
            die(f"stand-in kubectl: unsupported jsonpath: {expr}", 99)
    return steps


def jp_eval(steps, values):
    for kind, arg in steps:
        nxt = []
        for v in values:
            if kind == "key":
                if arg == "":
                    nxt.append(v)
                elif isinstance(v, dict) and arg in v:
                    nxt.append(v[arg])
            elif kind == "all":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            elif kind == "index":
                if isinstance(v, list) and -len(v) <= arg < len(v):
                    nxt.append(v[arg])
            elif kind == "filter":
                field, want = arg
                for item in (v if isinstance(v, list) else []):
                    got = jp_eval(jp_parse_path("." + field), [item])
                    if got and str(got[0]) == want:
                        nxt.append(item)
        values = nxt
    return values


def jp_text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def jsonpath(template, obj):
    """kubectl's -o jsonpath=TEMPLATE, missing keys allowed (kubectl's
    --allow-missing-template-keys default)."""
    tokens = re.split(r"(\{[^}]*\})", template)
    out = []

    def run(toks, ctx):
        i = 0
        while i < len(toks):
            t = toks[i]
            if not (t.startswith("{") and t.endswith("}")):
                out.append(t)
                i += 1
                continue
            inner = t[1:-1].strip()
            if inner.startswith("range "):
                depth, j = 1, i + 1
                while j < len(toks):
                    x = toks[j][1:-1].strip() if toks[j].startswith("{") else None
                    if x is not None and x.startswith("range "):
                        depth += 1
                    elif x == "end":
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                if j >= len(toks):
                    die(f"stand-in kubectl: jsonpath range without end: {template}", 99)
                for item in jp_eval(jp_parse_path(inner[6:].strip()), [ctx]):
                    run(toks[i + 1:j], item)
                i = j + 1
            elif inner.startswith('"'):
                out.append(json.loads(inner))
                i += 1
            else:
                out.append(" ".join(jp_text(v) for v in jp_eval(jp_parse_path(inner), [ctx])))
                i += 1

    run(tokens, obj)
    return "".join(out)


# -------------------------------------------------------------- arguments

class Args:
    """kubectl's flag syntax: --flag=v, --flag v, -f v, bundled booleans."""

    def __init__(self, argv, values, bools):
        self.flags = {}
        self.pos = []
        self.dash = None
        i = 0
        while i < len(argv):
            a = argv[i]
            if a == "--":
                self.dash = argv[i + 1:]
                break
            if a.startswith("--"):
                name, eq, val = a[2:].partition("=")
                if name in bools:
                    self.flags[name] = (val or "true") != "false"
                elif name in values:
                    if not eq:
                        i += 1
                        if i >= len(argv):
                            die(f"error: flag needs an argument: --{name}")
                        val = argv[i]
                    self.flags[name] = val
                else:
                    die(f"error: unknown flag: --{name}\nSee 'kubectl --help' for usage.")
            elif a.startswith("-") and len(a) > 1:
                j = 1
                while j < len(a):
                    ch = a[j]
                    if ch in bools:
                        self.flags[bools[ch]] = True
                        j += 1
                    elif ch in values:
                        val = a[j + 1:].lstrip("=")
                        if not val:
                            i += 1
                            if i >= len(argv):
                                die(f"error: flag needs an argument: -{ch}")
                            val = argv[i]
                        self.flags[values[ch]] = val
                        break
                    else:
                        die(f"error: unknown shorthand flag: '{ch}' in {a}\nSee 'kubectl --help' for usage.")
            else:
                self.pos.append(a)
            i += 1

    def get(self, name, default=None):
        return self.flags.get(name, default)


GLOBAL_VALUES = {"namespace": "namespace", "n": "namespace", "context": "context",
                 "kubeconfig": "kubeconfig"}


# ------------------------------------------------------------- commands

def find_pod(s, ns, name):
    p = s["pods"].get(pod_key(ns, name))
    if not p:
        die(f'Error from server (NotFound): pods "{name}" not found')
    return p


def labels_match(labels, selector):
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.split("=", 1)
            if labels.get(k.rstrip("=")) != v:
                return False
        elif labels.get(term) is None:
            return False
    return True


def named_pods(s, ns, names, ignore_not_found):
    """(name, pod) for each name; a missing one ends the command, as the
    API server's NotFound does, unless --ignore-not-found."""
    for n in names:
        p = s["pods"].get(pod_key(ns, n))
        if p is None:
            if ignore_not_found:
                continue
            die(f'Error from server (NotFound): pods "{n}" not found')
        yield n, p


def kind_and_names(pos, missing):
    """`KIND NAME...` or `KIND/NAME` as kubectl takes them."""
    pos = list(pos)
    if not pos:
        die(missing)
    kind = pos.pop(0)
    if "/" in kind:
        kind, name = kind.split("/", 1)
        pos.insert(0, name)
    return kind, pos


def cmd_get(argv):
    a = Args(argv, {**GLOBAL_VALUES, "o": "output", "output": "output", "l": "selector",
                    "selector": "selector"}, {"ignore-not-found": "ignore-not-found"})
    s = read_state()
    ns = a.get("namespace", s.get("default_namespace", "default"))
    kind, pos = kind_and_names(a.pos, "You must specify the type of resource to get.")
    kind = kind.lower().split(".")[0]
    kinds = {"pod": "pods", "pods": "pods", "po": "pods", "node": "nodes", "nodes": "nodes",
             "no": "nodes", "deploy": "Deployment", "deployment": "Deployment",
             "deployments": "Deployment", "statefulset": "StatefulSet", "sts": "StatefulSet",
             "statefulsets": "StatefulSet", "daemonset": "DaemonSet", "ds": "DaemonSet",
             "daemonsets": "DaemonSet", "replicaset": "ReplicaSet", "rs": "ReplicaSet",
             "replicasets": "ReplicaSet"}
    if kind not in kinds:
        die(f'error: the server doesn\'t have a resource type "{kind}"')
    k = kinds[kind]
    objs = []
    if k == "pods":
        if pos:
            objs = [pod_view(p) for _, p in named_pods(s, ns, pos, a.get("ignore-not-found"))]
        else:
            sel = a.get("selector", "")
            objs = [pod_view(p) for p in s["pods"].values()
                    if p["namespace"] == ns and labels_match(p.get("labels", {}), sel)]
    elif k == "nodes":
        for n in pos or sorted(s["nodes"]):
            if n not in s["nodes"]:
                die(f'Error from server (NotFound): nodes "{n}" not found')
            objs.append(node_view(n, s["nodes"][n]))
    else:
        for n in pos:
            w = s.get("workloads", {}).get(f"{k}/{ns}/{n}")
            if w is None:
                plural = {"Deployment": "deployments.apps", "StatefulSet": "statefulsets.apps",
                          "DaemonSet": "daemonsets.apps", "ReplicaSet": "replicasets.apps"}[k]
                die(f'Error from server (NotFound): {plural} "{n}" not found')
            objs.append(workload_view(k, w))
    single = bool(pos) and len(objs) == 1 and len(pos) == 1
    obj = objs[0] if single else {"apiVersion": "v1", "kind": "List", "items": objs}
    out = a.get("output", "")
    if out.startswith("jsonpath="):
        sys.stdout.write(jsonpath(out[len("jsonpath="):], obj))
    elif out == "json":
        sys.stdout.write(json.dumps(obj, indent=4) + "\n")
    elif out == "name":
        for o in objs:
            sys.stdout.write(f"{o['kind'].lower()}/{o['metadata']['name']}\n")
    elif out == "":
        for o in objs:
            sys.stdout.write(o["metadata"]["name"] + "\n")
    else:
        die(f"stand-in kubectl: unsupported output format: {out}", 99)


def profiles_for(version):
    minor = int(version.split(".")[1])
    if minor < 25:
        return []
    p = ["legacy", "general", "baseline", "restricted"]
    if minor >= 27:
        p.append("netadmin")
    if minor >= 30:
        p.append("sysadmin")
    return p


def debug_help(version):
    minor = int(version.split(".")[1])
    lines = [
        "Debug cluster resources using interactive debugging containers.",
        "",
        "Options:",
        "    --arguments-only=false:",
        "\tIf specified, everything after -- will be passed to the new container as Args instead of Command.",
        "",
        "    --attach=false:",
        "\tIf true, wait for the container to start running, and then attach as if 'kubectl attach ...' were",
        "\tcalled.  Default false, unless '-i/--stdin' is set, in which case the default is true.",
        "",
        "    -c, --container='':",
        "\tContainer name to use for debug container.",
    ]
    if minor >= 31:
        lines += ["", "    --custom='':",
                  "\tPath to a JSON or YAML file containing a partial container spec to customize built-in debug",
                  "\tprofiles."]
    lines += ["", "    --image='':", "\tContainer image to use for debug container."]
    profiles = profiles_for(version)
    if profiles:
        quoted = ", ".join(f'"{p}"' for p in profiles[:-1]) + f' or "{profiles[-1]}"'
        default = "legacy" if minor < 32 else "general"
        lines += ["", f"    --profile='{default}':", f"\tOptions are {quoted}."]
    lines += ["", "    -q, --quiet=false:", "\tIf true, suppress informational messages.",
              "", "    -i, --stdin=false:", "\tKeep stdin open on the container(s) in the pod, even if nothing is attached.",
              "", "    --target='':", "\tWhen using an ephemeral container, target processes in this container name.",
              "", "    -t, --tty=false:", "\tAllocate a TTY for the debugging container.", ""]
    return "\n".join(lines) + "\n"


def caps_for_profile(profile, style):
    """(capabilities, uid override, nnp, host root, privileged) a profile
    gives the debug container (kubectl's pkg/cmd/debug/profiles.go)."""
    base = list(CONTAINERD_CAPS)
    if profile == "sysadmin":
        return "privileged"
    if profile == "netadmin":
        return base + ["net_admin", "net_raw"]
    if profile == "general" and style == "ephemeral":
        return base + ["sys_ptrace"]
    if profile == "restricted":
        return []
    return base


def pss_violations(level, profile, style):
    """What Pod Security admission at `level` says of a debug container made
    with `profile` (empty: admitted)."""
    if level == "privileged":
        return []
    v = []
    if style == "node" and profile in ("legacy", "general", "netadmin", "sysadmin"):
        v.append("host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)")
        if profile != "netadmin":
            v.append('hostPath volumes (volume "host-root")')
    if profile == "sysadmin":
        v.append('privileged (container "debugger" must not set securityContext.privileged=true)')
    if profile == "netadmin":
        v.append('non-default capabilities (container "debugger" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)')
    if level == "restricted" and profile != "restricted":
        v += ['allowPrivilegeEscalation != false (container "debugger" must set securityContext.allowPrivilegeEscalation=false)',
              'unrestricted capabilities (container "debugger" must set securityContext.capabilities.drop=["ALL"])',
              'runAsNonRoot != true (pod or container "debugger" must set securityContext.runAsNonRoot=true)',
              'seccompProfile (pod or container "debugger" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")']
    return v


def new_container(name, image, root, netns, caps, uid, nnp=False, host_root=False):
    build_root(root, "busybox" if image.startswith("busybox") else image)
    c = {"name": name, "image": image, "root": root, "caps": caps, "uid": uid, "nnp": nnp}
    c["holder"] = spawn_holder(netns, root, host_root)
    return c


def start_main(c, argv, pod_name, log):
    """A container's command, detached (its output goes to the container log)."""
    path = resolve_in_root(c["root"], argv[0])
    if path is None:
        c["waiting"] = "RunContainerError"
        c["message"] = oci_exec_error(argv[0], "/" in argv[0])
        return
    with open(log, "ab") as out:
        p = subprocess.Popen(container_argv(c, [path] + argv[1:], pod_name),
                             stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                             start_new_session=True)
    for _ in range(500):
        if start_time(p.pid):
            break
        time.sleep(0.01)
    c["main"] = [p.pid, start_time(p.pid)]


def cmd_debug(argv):
    if "--help" in argv or "-h" in argv:
        sys.stdout.write(debug_help(read_state().get("kubectl_version", "1.31")))
        return
    a = Args(argv, {**GLOBAL_VALUES, "profile": "profile", "image": "image", "c": "container",
                    "container": "container", "target": "target", "custom": "custom",
                    "image-pull-policy": "image-pull-policy"},
             {"q": "quiet", "quiet": "quiet", "i": "stdin", "stdin": "stdin", "t": "tty",
              "tty": "tty", "attach": "attach"})
    s0 = read_state()
    version = s0.get("kubectl_version", "1.31")
    profiles = profiles_for(version)
    profile = a.get("profile")
    if profile is not None and not profiles:
        die("error: unknown flag: --profile\nSee 'kubectl debug --help' for usage.")
    if profile is not None and profile not in profiles:
        die(f"error: unknown profile: {profile}")
    if a.get("custom") is not None and int(version.split(".")[1]) < 31:
        die("error: unknown flag: --custom\nSee 'kubectl debug --help' for usage.")
    profile = profile or ("legacy" if profiles else "legacy")
    image = a.get("image")
    if not image:
        die("error: you must specify --image when not using --copy-to.")
    if a.get("stdin") or a.get("tty") or a.get("attach"):
        die("stand-in kubectl: attaching to a debug container is not carried out (the plugin must not need it)", 99)
    custom = {}
    if a.get("custom"):
        with open(a.get("custom")) as f:
            custom = json.load(f)
    cmd = a.dash or ["sh"]
    if len(a.pos) != 1:
        die("error: NAME or filename is required for debug")
    target = a.pos[0]
    quiet = a.get("quiet")
    with State() as s:
        ns = a.get("namespace", s.get("default_namespace", "default"))
        level = s.get("namespaces", {}).get(ns, "privileged")
        if target.startswith("node/") or target.startswith("nodes/"):
            node = target.split("/", 1)[1]
            if "debug-node" in s.get("deny", []):
                die(f'Error from server (Forbidden): nodes "{node}" is forbidden: User "dev" cannot get resource "nodes" in API group "" at the cluster scope')
            if node not in s["nodes"]:
                die(f'Error from server (NotFound): nodes "{node}" not found')
            cname = a.get("container", "debugger")
            pname = f"node-debugger-{node}-{random_suffix()}"
            v = pss_violations(level, profile, "node")
            if v:
                die(f'Error from server (Forbidden): pods "{pname}" is forbidden: violates PodSecurity "{level}:latest": ' + ", ".join(v))
            if not quiet:
                sys.stdout.write(f"Creating debugging pod {pname} with container {cname} on node {node}.\n")
            caps = caps_for_profile(profile, "node")
            uid = custom.get("securityContext", {}).get("runAsUser", 0)
            pdir = os.path.join(state_dir(), "pods", pname)
            c = new_container(cname, image, os.path.join(pdir, cname), s["nodes"][node]["netns"],
                              caps, uid, host_root=profile in ("legacy", "general", "sysadmin"))
            p = {"name": pname, "namespace": ns, "node": node, "ip": s["nodes"][node].get("ip", ""),
                 "labels": {"app.kubernetes.io/managed-by": "kubectl-debug"}, "debug": True,
                 "containers": [c], "dir": pdir}
            s["pods"][pod_key(ns, pname)] = p
            start_main(c, cmd, pname, os.path.join(pdir, f"{cname}.log"))
        else:
            name = target.split("/", 1)[1] if target.startswith("pod/") else target
            if "debug-ephemeral" in s.get("deny", []):
                die(f'Error from server (Forbidden): pods "{name}" is forbidden: User "dev" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "{ns}"')
            p = s["pods"].get(pod_key(ns, name))
            if p is None:
                die(f'Error from server (NotFound): pods "{name}" not found')
            tname = a.get("target")
            if tname and not any(c["name"] == tname for c in p["containers"]):
                die(f'error: container "{tname}" not found in pod "{name}"')
            cname = a.get("container")
            if not cname:
                cname = f"debugger-{random_suffix()}"
                if not quiet:
                    sys.stdout.write(f"Defaulting debug container name to {cname}.\n")
            if any(c["name"] == cname for c in p["containers"]):
                die(f'error: ephemeral container "{cname}" already exists in pod "{name}"')
            v = pss_violations(level, profile, "ephemeral")
            if v:
                die(f'Error from server (Forbidden): pods "{name}" is forbidden: violates PodSecurity "{level}:latest": ' + ", ".join(v).replace('"debugger"', f'"{cname}"'))
            if tname and not quiet:
                sys.stdout.write(f'Targeting container "{tname}". If you don\'t see processes from this container it may be because the container runtime doesn\'t support this feature.\n')
            caps = caps_for_profile(profile, "ephemeral")
            # An ephemeral container runs as the pod's user unless its own
            # securityContext (a profile, or --custom) says otherwise.
            uid = (p.get("securityContext") or {}).get("runAsUser", 0) or 0
            uid = custom.get("securityContext", {}).get("runAsUser", uid)
            nnp = profile == "restricted"
            pdir = os.path.join(state_dir(), "pods", p["name"])
            c = new_container(cname, image, os.path.join(pdir, cname), p["netns"], caps, uid, nnp=nnp)
            c["ephemeral"] = True
            c["target"] = tname
            if custom.get("securityContext", {}).get("runAsUser") is not None:
                c["spec_run_as_user"] = c["uid"]
            non_root = (p.get("securityContext") or {}).get("runAsNonRoot") or profile == "restricted"
            if non_root and c["uid"] == 0:
                c["waiting"] = "CreateContainerConfigError"
                c["message"] = "container has runAsNonRoot and image will run as root"
            else:
                start_main(c, cmd, p["name"], os.path.join(pdir, f"{cname}.log"))
            p["containers"].append(c)


def split_exec(argv):
    if "--" not in argv:
        die("error: you must specify at least one command for the container (kubectl exec POD -- COMMAND)")
    i = argv.index("--")
    return argv[:i], argv[i + 1:]


def find_container(p, cname):
    cs = p["containers"]
    if cname is None:
        ordinary = [c for c in cs if not c.get("ephemeral")]
        if len(ordinary) > 1:
            sys.stderr.write(f'Defaulted container "{ordinary[0]["name"]}" out of: ' + ", ".join(c["name"] for c in ordinary) + "\n")
        return ordinary[0]
    for c in cs:
        if c["name"] == cname:
            return c
    die(f'error: unable to upgrade connection: container {cname} not found in pod {p["name"]}')


def run_in_container(p, c, cmd, interactive):
    if c.get("waiting") or not alive(c["holder"]) or (c.get("main") and not alive(c["main"])):
        die(f'error: unable to upgrade connection: container not found ("{c["name"]}")')
    path = resolve_in_root(c["root"], cmd[0])
    if path is None:
        die(oci_exec_error(cmd[0], "/" in cmd[0]))
    # A process kubectl exec starts is no child of kubectl's terminal: Ctrl-C
    # on the laptop does not reach it (hence its own session), and kubectl
    # going away does not stop it.
    proc = subprocess.Popen(container_argv(c, [path] + cmd[1:], p["name"]),
                            stdin=None if interactive else subprocess.DEVNULL,
                            start_new_session=True)
    try:
        rc = proc.wait()
    except KeyboardInterrupt:
        sys.exit(130)
    if rc != 0:
        sys.stderr.write(f"command terminated with exit code {rc}\n")
        sys.exit(rc)


def cmd_exec(argv):
    flags, cmd = split_exec(argv)
    a = Args(flags, {**GLOBAL_VALUES, "c": "container", "container": "container"},
             {"i": "stdin", "stdin": "stdin", "t": "tty", "tty": "tty", "q": "quiet", "quiet": "quiet"})
    if len(a.pos) != 1:
        die("error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.")
    s = read_state()
    ns = a.get("namespace", s.get("default_namespace", "default"))
    name = a.pos[0].split("/", 1)[1] if a.pos[0].startswith("pod/") else a.pos[0]
    p = find_pod(s, ns, name)
    c = find_container(p, a.get("container"))
    run_in_container(p, c, cmd, a.get("stdin"))


def cmd_cp(argv):
    a = Args(argv, {**GLOBAL_VALUES, "c": "container", "container": "container"},
             {"no-preserve": "no-preserve"})
    if len(a.pos) != 2 or ":" not in a.pos[1]:
        die("stand-in kubectl: only `kubectl cp LOCAL_FILE [NS/]POD:PATH` is carried out", 99)
    src, dest = a.pos
    where, path = dest.split(":", 1)
    s = read_state()
    ns = a.get("namespace", s.get("default_namespace", "default"))
    if "/" in where:
        ns, where = where.split("/", 1)
    p = find_pod(s, ns, where)
    c = find_container(p, a.get("container"))
    # kubectl cp is `tar cf - SRC | kubectl exec -i POD -- tar xmf - -C DIR`:
    # a tar stream (mode kept, extended attributes such as file
    # capabilities not), unpacked by the container's own tar.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = t.gettarinfo(src, arcname=os.path.basename(path))
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        with open(src, "rb") as f:
            t.addfile(info, f)
    d = os.path.dirname(path) or "/"
    tmp = tempfile.TemporaryFile()
    tmp.write(buf.getvalue())
    tmp.seek(0)
    os.dup2(tmp.fileno(), 0)
    run_in_container(p, c, ["tar", "xmf", "-", "-C", d], True)


def kill_container(c):
    mnt = mnt_ns(c["holder"][0]) if alive(c["holder"]) else None
    if mnt:
        for pid in processes_in(mnt):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for proc in (c.get("main"), c["holder"]):
        if proc and alive(proc):
            try:
                os.kill(proc[0], signal.SIGKILL)
            except OSError:
                pass


def remove_pod_files(p):
    d = p.get("dir")
    if d and os.path.isdir(d):
        shutil.rmtree(d, ignore_errors=True)


def cmd_delete(argv):
    a = Args(argv, {**GLOBAL_VALUES, "grace-period": "grace-period", "wait": "wait"},
             {"ignore-not-found": "ignore-not-found", "now": "now", "force": "force"})
    kind, pos = kind_and_names(a.pos, "error: resource(s) were provided, but no name was specified")
    if kind not in ("pod", "pods", "po"):
        die(f"stand-in kubectl: deleting {kind} is not carried out", 99)
    with State() as s:
        ns = a.get("namespace", s.get("default_namespace", "default"))
        for n, p in named_pods(s, ns, pos, a.get("ignore-not-found")):
            if not p.get("debug"):
                die(f"stand-in kubectl: refusing to delete pod {n}, which the test set up: the plugin must delete only what it started", 97)
            for c in p["containers"]:
                kill_container(c)
            remove_pod_files(p)
            del s["pods"][pod_key(ns, n)]
            sys.stdout.write(f'pod "{n}" deleted\n')


def kubectl_main(argv):
    record(argv)
    rest = list(argv)
    # Global flags may come first (kubectl --context X get ...).
    while rest and rest[0].startswith("-") and rest[0] not in ("-h", "--help"):
        f = rest.pop(0)
        if "=" not in f and f.lstrip("-") in ("n", "namespace", "context", "kubeconfig") and rest:
            v = rest.pop(0)
            if f.lstrip("-") in ("n", "namespace"):
                rest += ["-n", v]
    if not rest:
        die("kubectl controls the Kubernetes cluster manager.", 0)
    verb, args = rest[0], rest[1:]
    if verb == "get":
        cmd_get(args)
    elif verb == "debug":
        cmd_debug(args)
    elif verb == "exec":
        cmd_exec(args)
    elif verb == "cp":
        cmd_cp(args)
    elif verb == "delete":
        cmd_delete(args)
    elif verb == "version":
        v = read_state().get("kubectl_version", "1.31")
        sys.stdout.write(f"Client Version: v{v}.0\nKustomize Version: v5.4.2\n")
    else:
        die(f"stand-in kubectl: `kubectl {verb}` is not carried out here", 99)


# ---------------------------------------------------------------- cluster

def cluster_up(spec_file):
    """SPEC: {"kubectl_version", "namespaces": {ns: level}, "deny": [...],
    "nodes": {name: {"netns", "arch", "ip"}}, "pods": [{"name", "namespace",
    "node", "ip", "netns", "labels", "securityContext", "containers": [{"name",
    "image", "runAsUser", "capabilities": "default"|"privileged"|[...],
    "allowPrivilegeEscalation"}]}], "workloads": [{"kind", "name",
    "namespace", "matchLabels"}]}"""
    d = state_dir()
    os.makedirs(os.path.join(d, "pods"), exist_ok=True)
    with open(spec_file) as f:
        spec = json.load(f)
    s = {"kubectl_version": spec.get("kubectl_version", "1.31"),
         "default_namespace": "default",
         "namespaces": spec.get("namespaces", {}),
         "deny": spec.get("deny", []),
         "nodes": spec["nodes"], "pods": {}, "workloads": {}}
    for w in spec.get("workloads", []):
        s["workloads"][f"{w['kind']}/{w['namespace']}/{w['name']}"] = w
    with open(os.path.join(d, "state.json"), "w") as f:
        json.dump(s, f)
    with State() as st:
        for p in spec.get("pods", []):
            pdir = os.path.join(d, "pods", p["name"])
            cs = []
            for c in p["containers"]:
                caps = c.get("capabilities", "default")
                caps = list(CONTAINERD_CAPS) if caps == "default" else caps
                uid = c.get("runAsUser")
                if uid is None:
                    uid = (p.get("securityContext") or {}).get("runAsUser", 0) or 0
                rec = new_container(c["name"], c["image"], os.path.join(pdir, c["name"]),
                                    p["netns"], caps, uid,
                                    nnp=c.get("allowPrivilegeEscalation") is False)
                if c.get("runAsUser") is not None:
                    rec["spec_run_as_user"] = c["runAsUser"]
                cs.append(rec)
            st["pods"][pod_key(p["namespace"], p["name"])] = {
                "name": p["name"], "namespace": p["namespace"], "node": p["node"], "ip": p["ip"],
                "netns": p["netns"], "labels": p.get("labels", {}),
                "securityContext": p.get("securityContext"), "containers": cs, "dir": pdir}


def leftovers():
    """Debug pods still there, and processes left in their containers or in
    the ephemeral containers (a test asserts there are none)."""
    s = read_state()
    out = []
    for p in s["pods"].values():
        if p.get("debug"):
            out.append(f"debug pod {p['namespace']}/{p['name']}")
        for c in p["containers"]:
            if not (p.get("debug") or c.get("ephemeral")):
                # An app container: only processes beyond the pause one count.
                if alive(c["holder"]):
                    extra = [x for x in processes_in(mnt_ns(c["holder"][0])) if x != c["holder"][0]]
                    if extra:
                        out.append(f"processes {extra} left in {p['name']}/{c['name']}")
                continue
            if c.get("main") and alive(c["main"]):
                out.append(f"{p['name']}/{c['name']} still runs its command")
            if alive(c["holder"]):
                extra = [x for x in processes_in(mnt_ns(c["holder"][0])) if x != c["holder"][0]]
                if extra and not (c.get("main") and extra == [c["main"][0]]):
                    out.append(f"processes {extra} left in {p['name']}/{c['name']}")
    return out


def cluster_down():
    d = state_dir()
    if os.path.exists(os.path.join(d, "state.json")):
        s = read_state()
        for p in s["pods"].values():
            for c in p["containers"]:
                kill_container(c)
            remove_pod_files(p)
    shutil.rmtree(d, ignore_errors=True)


def cluster_main(argv):
    if argv[:1] == ["up"] and len(argv) == 2:
        cluster_up(argv[1])
    elif argv == ["leftovers"]:
        for l in leftovers():
            print(l)
    elif argv == ["down"]:
        cluster_down()
    elif argv[:1] == ["files"] and len(argv) == 3:
        # The files in a container's root: `files POD CONTAINER`.
        s = read_state()
        for p in s["pods"].values():
            if p["name"] == argv[1]:
                for c in p["containers"]:
                    if c["name"] == argv[2]:
                        for dirpath, _, names in os.walk(c["root"]):
                            for n in names:
                                print(os.path.relpath(os.path.join(dirpath, n), c["root"]))
    else:
        die("usage: cluster up SPEC.json | leftovers | files POD CONTAINER | down", 2)
