"""Exasol data nodes for the lab: N real sshd, each in its own mount namespace.

Node i (1..LAB_NODES, default 3, at most 32) is `/usr/sbin/sshd -D` on 127.0.1.<i>:2222, started by
`unshare --mount --propagation private`, which then bind-mounts the node's private tree
(state/nodes/<name>/root/...) over /etc/pki/ca-trust, /usr/opt and /exa, and a directory holding
`cacerts -> /etc/pki/ca-trust/extracted/java/cacerts` over /etc/ssl/certs/java (so the node's JDK
uses the central store, as on Exasol's CentOS nodes, and the host's own JDK store is never touched).
Logins: root with the lab's ed25519 key; host keys are checked against the lab's known_hosts.

Truststores are seeded once from the machine's JDK `cacerts` (JKS and one PKCS12 conversion) and
copied: node 2, 5, 8... keep a PKCS12 central store; node 3, 6, 9... have the SLC `cacerts` as an
absolute symlink to /etc/ssl/certs/java/cacerts, meant to be resolved inside the container root.
lab.json names per node what each JVM reads (`loader_truststore`, `adapter_truststores`) and what
the node mounts (`mounts`): the Exasol emulator reads those paths through the node's own view.
"""

import json
import os
import shutil
import signal
import subprocess
import time

from lab import LabError

MAX_NODES = 32
STORE_PASSWORD = "changeit"  # the JDK default, like real nodes; not a secret
CENTRAL = "/etc/pki/ca-trust/extracted/java/cacerts"
SLC_ROOT = (
    "/usr/opt/EXASuite-7/EXAClusterOS-7.1.26/var/clients/packages/ScriptLanguages-release-standard-exasol-7.1.0-1.0.0"
)
SLC_JDK_CACERTS = "usr/lib/jvm/java-11-openjdk-amd64/lib/security/cacerts"
UBUNTU_CACERTS = "/etc/ssl/certs/java/cacerts"
BUCKETFS_DIR = "/exa/data/bucketfs/bfsdefault/.dest/default"
MOUNTS = ("/etc/pki/ca-trust", "/usr/opt", "/exa")
JAVA_CERTS_DIR = "/etc/ssl/certs/java"
# Exasol 2025.x (c4, COS): the view of an admin in COS (README_exasol.md "Exasol 2025.x generation":
# COS partition environment CURRENTJDK / CURRENTSLC; the SLC container directory name is an inference)
COS_RUNTIME = "/opt/exasol/runtime-8.8.0-jdk"
COS_DIRS = ("/opt/exasol/cos-8.53.2", "/opt/exasol/db-2025.1.3", "/exa/etc", "/exa/logs")
COS_SLC_ROOT = "/opt/exasol/slc-9.1.0-c4-6-standard-EXASOL-all/ScriptLanguages-standard-EXASOL-all-java-17"
COS_SLC_JDK_CACERTS = "usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts"
COS_MOUNTS = ("/opt/exasol", "/exa")
SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = "/run/sshd"

# Runs inside the new mount namespace: $1 = node root on the host, $2 = sshd_config, $3 = sshd,
# then the mount points (each mounted from the node's tree; a leading `?` = only if it exists).
NODE_SCRIPT = r"""set -e
root="$1"; config="$2"; sshd="$3"; shift 3
for point in "$@"; do
  case "$point" in
    "?"*) point="${point#?}"; if [ -d "$point" ]; then mount --bind "$root$point" "$point"; fi ;;
    *) mount --bind "$root$point" "$point" ;;
  esac
done
exec "$sshd" -D -e -f "$config"
"""

SSHD_CONFIG = """# written by tests/lab/components/nodes.py for lab node {name}
ListenAddress {address}:{port}
HostKey {host_key}
PidFile none
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# the lab sets the modes of its key files itself; the checkout may live under a 1777 directory
StrictModes no
UseDNS no
MaxStartups 200:30:400
MaxSessions 100
PrintMotd no
Subsystem sftp internal-sftp
SetEnv LAB_NODE={name}
LogLevel INFO
"""


# --- settings and names -----------------------------------------------------------------------
def node_count(lab):
    raw = lab.setting("LAB_NODES", "3")
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_NODES:
        raise LabError("LAB_NODES=%r: give a number from 1 to %d" % (raw, MAX_NODES))
    return count


def layout(index, kind="classic"):
    """What node <index> looks like: pure, so that it is unit-tested.

    classic (6.x/7.x): the loader reads the central store, the SLC lives under /usr/opt;
    cos (2025.x): the loader reads its runtime JDK's store, the SLC lives under /opt/exasol.
    """
    name = "node%d" % index
    pkcs12 = index % 3 == 2
    symlinked_slc = index % 3 == 0
    slc_root, slc_jdk = (COS_SLC_ROOT, COS_SLC_JDK_CACERTS) if kind == "cos" else (SLC_ROOT, SLC_JDK_CACERTS)
    slc_cacerts = "%s/%s" % (slc_root, slc_jdk)
    resolved = "%s%s" % (slc_root, UBUNTU_CACERTS) if symlinked_slc else slc_cacerts
    loader = COS_RUNTIME + "/lib/security/cacerts" if kind == "cos" else CENTRAL
    mounts = list(COS_MOUNTS) if kind == "cos" else list(MOUNTS) + [JAVA_CERTS_DIR]
    return {
        "name": name,
        "kind": kind,
        "truststore_type": "PKCS12" if pkcs12 else "JKS",
        "slc_symlink": symlinked_slc,
        "slc_root": slc_root,
        "slc_jdk_cacerts": slc_jdk,
        "slc_truststores": [slc_cacerts],
        "slc_truststores_resolved": [resolved],
        "loader_truststore": loader,
        "mounts": mounts,
    }


def _net(lab):
    return lab.setting("LAB_NODES_NET", "127.0.1"), int(lab.setting("LAB_NODES_PORT", "2222"))


def _base(lab, *parts):
    return lab.path("nodes", *parts)


def _pidname(name):
    return "node-" + name


# --- one-time material: client key, seed stores, mount points ----------------------------------
def _client_key(lab):
    ssh_dir = _base(lab, "ssh")
    key = os.path.join(ssh_dir, "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
        keygen = lab.require_program("ssh-keygen", "openssh-client")
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "virtualis-aurora-lab", "-f", key], check=True)
        shutil.copyfile(key + ".pub", os.path.join(ssh_dir, "authorized_keys"))
        os.chmod(os.path.join(ssh_dir, "authorized_keys"), 0o600)
    return key


def _jdk_cacerts(lab):
    candidates = [lab.setting("LAB_JDK_CACERTS", ""), UBUNTU_CACERTS]
    keytool = shutil.which("keytool")
    if keytool:
        candidates.append(
            os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(keytool))), "lib", "security", "cacerts")
        )
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    raise LabError(
        "no JDK cacerts found (tried %s): install the Debian package "
        "openjdk-17-jdk-headless (`make apt`)" % ", ".join(c for c in candidates if c)
    )


def _keytool_convert(keytool, source, source_type, target, target_type):
    env = dict(os.environ, LAB_STOREPASS=STORE_PASSWORD)
    done = subprocess.run(
        [
            keytool,
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            source,
            "-srcstoretype",
            source_type,
            "-srcstorepass:env",
            "LAB_STOREPASS",
            "-destkeystore",
            target,
            "-deststoretype",
            target_type,
            "-deststorepass:env",
            "LAB_STOREPASS",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LabError("keytool could not convert %s to %s: %s" % (source, target_type, done.stderr.strip()))


def _seed_stores(lab):
    """JKS and PKCS12 copies of the JDK cacerts, made once (one keytool JVM at most per format)."""
    seed = _base(lab, "seed")
    jks, p12 = os.path.join(seed, "cacerts.jks"), os.path.join(seed, "cacerts.p12")
    if os.path.exists(jks) and os.path.exists(p12):
        return {"JKS": jks, "PKCS12": p12}
    keytool = lab.require_program("keytool", "openjdk-17-jdk-headless")
    os.makedirs(seed, exist_ok=True)
    source = _jdk_cacerts(lab)
    with open(source, "rb") as handle:
        is_jks = handle.read(4) == b"\xfe\xed\xfe\xed"
    if is_jks:
        shutil.copyfile(source, jks)
    else:
        _keytool_convert(keytool, source, "PKCS12", jks, "JKS")
    _keytool_convert(keytool, jks, "JKS", p12, "PKCS12")
    return {"JKS": jks, "PKCS12": p12}


def _created_record(lab):
    return _base(lab, "created-on-host.json")


def _ensure_host_dirs(lab, kind="classic"):
    """Mount points (and sshd's privilege separation dir) on the host; remember what we created.

    /run/sshd is made but never recorded: every sshd on the machine needs it for each login, so
    lab-down must not take it away from a running sshd (ours or anyone's).
    """
    os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)
    created = []
    for path in COS_MOUNTS if kind == "cos" else MOUNTS:
        missing = []
        probe = path
        while not os.path.exists(probe):
            missing.append(probe)
            probe = os.path.dirname(probe)
        if missing:
            os.makedirs(path, mode=0o755)
            created.extend(reversed(missing))  # parents first
    if created:
        record = _created_record(lab)
        previous = _read_json(record, [])
        with open(record, "w") as handle:
            json.dump(previous + created, handle)


def _read_json(path, default):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def _mount_points_elsewhere():
    """Mount points used in other mount namespaces (another lab's nodes, say).

    rmdir of a directory that is a mount point in another namespace silently detaches that mount
    there, so such directories must stay.
    """
    host_ns, seen, points = _mount_ns(os.getpid()), set(), set()
    for entry in os.listdir("/proc"):
        namespace = _mount_ns(int(entry)) if entry.isdigit() else None
        if namespace is None or namespace == host_ns or namespace in seen:
            continue
        seen.add(namespace)
        try:
            with open("/proc/%s/mountinfo" % entry) as handle:
                points.update(line.split()[4] for line in handle)
        except OSError:
            continue
    return points


def _remove_host_dirs(lab):
    """rmdir what _ensure_host_dirs created, children first, only while empty and unused."""
    left = []
    in_use = _mount_points_elsewhere()
    for path in reversed(_read_json(_created_record(lab), [])):
        if any(point == path or point.startswith(path + "/") for point in in_use):
            left.append(path)
            continue
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError:
            left.append(path)
    if left:
        print(
            "lab down: nodes: left %s on the host (not empty, or a mount point of another namespace)" % ", ".join(left)
        )


# --- per node ---------------------------------------------------------------------------------
def _copy(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)


def _prepare_node(lab, index, seeds, keygen, kind="classic"):
    spec = layout(index, kind)
    node_dir = _base(lab, spec["name"])
    root = os.path.join(node_dir, "root")
    for mount in spec["mounts"]:
        os.makedirs(root + mount, exist_ok=True)
    if kind == "classic":
        trust = os.path.join(root, "etc/pki/ca-trust")
        for sub in ("source/anchors", "source/blocklist", "extracted/pem", "extracted/openssl"):
            os.makedirs(os.path.join(trust, sub), exist_ok=True)
        java_dir = root + JAVA_CERTS_DIR  # the node's JDK reads the central store, as on CentOS nodes
        os.symlink(CENTRAL, os.path.join(java_dir, "cacerts"))
    else:
        for path in COS_DIRS:
            os.makedirs(root + path, exist_ok=True)
    _copy(seeds[spec["truststore_type"]], root + spec["loader_truststore"])
    slc = root + spec["slc_root"]
    if spec["slc_symlink"]:
        _copy(seeds["JKS"], slc + UBUNTU_CACERTS)
        link = os.path.join(slc, spec["slc_jdk_cacerts"])
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(UBUNTU_CACERTS, link)
    else:
        _copy(seeds["JKS"], os.path.join(slc, spec["slc_jdk_cacerts"]))
    os.makedirs(root + BUCKETFS_DIR, exist_ok=True)
    host_key = os.path.join(node_dir, "ssh_host_ed25519_key")
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", spec["name"], "-f", host_key], check=True)
    address, port = _address(lab, index)
    with open(os.path.join(node_dir, "sshd_config"), "w") as handle:
        handle.write(
            SSHD_CONFIG.format(
                name=spec["name"],
                address=address,
                port=port,
                host_key=host_key,
                authorized_keys=_base(lab, "ssh", "authorized_keys"),
            )
        )


def _address(lab, index):
    net, port = _net(lab)
    return "%s.%d" % (net, index), port


def _write_known_hosts(lab, count):
    lines = []
    for index in range(1, count + 1):
        address, port = _address(lab, index)
        with open(_base(lab, layout(index)["name"], "ssh_host_ed25519_key.pub")) as handle:
            key_type, key = handle.read().split()[:2]
        lines.append("[%s]:%d %s %s\n" % (address, port, key_type, key))
    path = _base(lab, "ssh", "known_hosts")
    with open(path, "w") as handle:
        handle.writelines(lines)
    return path


def _mount_ns(pid):
    try:
        return os.readlink("/proc/%d/ns/mnt" % pid)
    except OSError:
        return None


def _start(lab, index, unshare, kind="classic"):
    spec = layout(index, kind)
    node_dir = _base(lab, spec["name"])
    points = ["?" + p if p == JAVA_CERTS_DIR else p for p in spec["mounts"]]
    lab.spawn(
        _pidname(spec["name"]),
        [
            unshare,
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            NODE_SCRIPT,
            "lab-" + spec["name"],
            os.path.join(node_dir, "root"),
            os.path.join(node_dir, "sshd_config"),
            SSHD,
        ]
        + points,
    )


def _part(lab, count, kind="classic"):
    nodes = []
    for index in range(1, count + 1):
        spec = layout(index, kind)
        address, port = _address(lab, index)
        nodes.append(
            {
                "name": spec["name"],
                "address": address,
                "port": port,
                "user": "root",
                "ssh_key": _base(lab, "ssh", "id_ed25519"),
                "known_hosts": _base(lab, "ssh", "known_hosts"),
                "root": _base(lab, spec["name"], "root"),
                "central_truststore": spec["loader_truststore"],
                "truststore_type": spec["truststore_type"],
                "slc_truststores": spec["slc_truststores"],
                "slc_truststores_resolved": spec["slc_truststores_resolved"],
                "store_password": STORE_PASSWORD,
                "bucketfs_dir": BUCKETFS_DIR,
                # what each JVM of this node reads, as node paths (issue 12): ExaLoader (IMPORT FROM
                # JDBC, every SELECT on a virtual table) the central store; the adapter (a Java UDF in
                # the script-language container) its container's JDK store, unless %jvmoption names one
                "loader_truststore": spec["loader_truststore"],
                "adapter_truststores": spec["slc_truststores"],
                "mounts": spec["mounts"],
                "layout": spec["kind"],
            }
        )
    return {"nodes": nodes}


def _running(lab):
    """Names of nodes with a pidfile, split into alive and dead."""
    alive, dead = [], []
    names = [e[5:-4] for e in os.listdir(lab.pid_dir) if e.startswith("node-") and e.endswith(".pid")]
    for name in sorted(names, key=_node_key):
        (alive if lab.alive(_pidname(name)) else dead).append(name)
    return alive, dead


def up(lab):
    count = node_count(lab)
    wanted = [layout(i)["name"] for i in range(1, count + 1)]
    alive, dead = _running(lab)
    if dead:
        raise LabError(
            "the lab's nodes are half-started (running: %s; dead: %s): run `make lab-down`, "
            "then `make lab-up`" % (", ".join(alive) or "none", ", ".join(dead))
        )
    if alive and sorted(alive) != sorted(wanted):
        raise LabError(
            "the running lab has %d nodes, LAB_NODES asks for %d: run `make lab-down`, then "
            "`make lab-up` with the LAB_NODES you want" % (len(alive), count)
        )
    kind = lab.exasol_generation()
    if alive:
        started = _read_json(_base(lab, "layout.json"), "classic")
        if started != kind:
            raise LabError(
                "the running lab's nodes have the %s layout, LAB_EXASOL_VERSION asks for %s: run "
                "`make lab-down`, then `make lab-up`" % (started, kind)
            )
        _ensure_host_dirs(lab, kind)  # a running lab still needs /run/sshd for every login
        return _part(lab, count, kind)
    if os.path.isdir(_base(lab)) and any(
        os.path.isdir(_base(lab, n)) for n in os.listdir(_base(lab)) if n.startswith("node")
    ):
        raise LabError(
            "%s holds nodes from an earlier run that are not running (half-started lab): "
            "run `make lab-down`, then `make lab-up`" % _base(lab)
        )
    lab.require_program(SSHD, "openssh-server")
    unshare = lab.require_program("unshare", "util-linux")
    keygen = lab.require_program("ssh-keygen", "openssh-client")
    for index in range(1, count + 1):
        lab.require_free(*_address(lab, index), what="node%d sshd" % index)
    os.makedirs(_base(lab), mode=0o755, exist_ok=True)
    _client_key(lab)
    seeds = _seed_stores(lab)
    _ensure_host_dirs(lab, kind)
    with open(_base(lab, "layout.json"), "w") as handle:
        json.dump(kind, handle)
    for index in range(1, count + 1):
        _prepare_node(lab, index, seeds, keygen, kind)
    _write_known_hosts(lab, count)
    for index in range(1, count + 1):  # all at once; then wait for each
        _start(lab, index, unshare, kind)
    host_ns = _mount_ns(os.getpid())
    for index in range(1, count + 1):
        name = layout(index)["name"]
        lab.wait_port(*_address(lab, index), what="%s sshd" % name, timeout=30, name=_pidname(name))
        namespace = _mount_ns(lab.pid(_pidname(name)))
        if namespace is None or namespace == host_ns:
            raise LabError(
                "%s sshd is not in its own mount namespace; the lab is half-started: run "
                "`make lab-down` (see %s)" % (name, lab.log_dir)
            )
        with open(_base(lab, name, "mntns"), "w") as handle:
            handle.write(namespace)
    return _part(lab, count, kind)


def _ours(pid, base):
    """A process whose mounts include this lab's node trees (namespace inodes get reused)."""
    try:
        with open("/proc/%d/mountinfo" % pid) as handle:
            return base in handle.read()
    except OSError:
        return False


def _sweep_namespaces(namespaces, base):
    """Stop what still runs in the nodes' mount namespaces (ssh sessions outlive their sshd)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        found = False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and _mount_ns(int(entry)) in namespaces and _ours(int(entry), base):
                found = True
                try:
                    os.kill(int(entry), sig)
                except ProcessLookupError:
                    pass
        if not found:
            return
        time.sleep(0.2)


def _node_names(lab):
    """Every node this lab may have started: from its state dirs and its pidfiles."""
    base = _base(lab)
    names = {n for n in (os.listdir(base) if os.path.isdir(base) else []) if n.startswith("node")}
    names.update(n[5:-4] for n in os.listdir(lab.pid_dir) if n.startswith("node-") and n.endswith(".pid"))
    return sorted(names, key=_node_key)


def _node_key(name):
    digits = name[4:]
    return (0, int(digits)) if digits.isdigit() else (1, name)


def down(lab):
    host_ns = _mount_ns(os.getpid())
    namespaces = set()
    for name in _node_names(lab):
        lab.stop(_pidname(name), timeout=5)
        try:
            with open(_base(lab, name, "mntns")) as handle:
                namespaces.add(handle.read().strip())
        except OSError:
            pass
    namespaces.discard(host_ns)  # never sweep the host's own namespace
    namespaces.discard("")
    if namespaces:
        _sweep_namespaces(namespaces, _base(lab))
    _remove_host_dirs(lab)
    shutil.rmtree(_base(lab), ignore_errors=True)


def status(lab):
    alive, dead = _running(lab)
    if not alive and not dead:
        return "stopped"
    shown = alive if len(alive) <= 4 else alive[:2] + ["..."] + alive[-1:]
    text = "%d sshd running (%s)" % (len(alive), ", ".join(shown) or "none")
    return text + ("; DEAD: %s (run `make lab-down`)" % ", ".join(dead) if dead else "")
