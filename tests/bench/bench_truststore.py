"""Benchmark: the RDS global bundle (108 certificates) into Java truststores, four ways.

    .venv/bin/python tests/bench/bench_truststore.py [--slice 10] [--java-cert-slice 4] [--no-lab]

1. rds_truststore on local files: two stores (central JKS + SLC JKS, seeded from the JDK's cacerts
   like a lab node), first apply and no-op rerun; also a PKCS12 central store.
2. A plain `keytool -importcert` loop (one JVM per certificate), over a slice, extrapolated.
3. community.general.java_cert (one Ansible task per certificate), over a slice, extrapolated.
4. The exasol_truststore role against the lab (if up, LAB_STATE_DIR honoured): 1 node vs all nodes;
   16 nodes when the lab runs with LAB_NODES=16.
Prints the figures side by side and the targets (first apply <= 1.5 s and rerun <= 0.5 s of module
time per node; 16 nodes within 4x the wall time of one).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# a script, not run by pytest: the paths pytest.ini gives the tests
for _path in (".collections", "tests/support", "tests/unit/plugins"):
    sys.path.insert(0, os.path.join(ROOT, _path))

from module_runner import run_module
from truststores import bundle, keytool, write_lab_inventory

RDS_DIR = os.environ.get("RDS_BUNDLE_DIR", os.path.join(os.path.dirname(ROOT), "shared", "data", "rds"))
LAB_STATE = os.environ.get("LAB_STATE_DIR", os.path.join(ROOT, "tests", "lab", "state"))
JDK_CACERTS = "/etc/ssl/certs/java/cacerts"
BIN = os.path.dirname(sys.executable)
PREFIX = "benchrds-"


def timed(func, *args, **kwargs):
    started = time.time()
    result = func(*args, **kwargs)
    return result, time.time() - started


def seed_store(path, store_type="JKS"):
    """A copy of the JDK's cacerts (JKS), converted with keytool for PKCS12."""
    if store_type == "JKS":
        shutil.copy(JDK_CACERTS, path)
        return path
    proc = keytool(
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        JDK_CACERTS,
        "-srcstorepass:env",
        "KS_PASS",
        "-destkeystore",
        path,
        "-deststoretype",
        "PKCS12",
        "-deststorepass:env",
        "KS_PASS",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return path


def bench_module(tmp, bundle_path, central_type):
    """(first module s, first wall s, rerun module s, rerun wall s) for central + SLC store."""
    stores = [
        seed_store(os.path.join(tmp, "central-%s" % central_type), central_type),
        seed_store(os.path.join(tmp, "slc-%s.jks" % central_type)),
    ]
    figures = []
    for dummy in range(2):
        result, wall = timed(
            run_module,
            "rds_truststore",
            tmp,
            src=bundle_path,
            truststores=stores,
            alias_prefix=PREFIX,
            cache_dir=os.path.join(tmp, "cache"),
        )
        assert not result.get("failed"), result
        figures += [result["seconds"], wall, sum(s["added"] for s in result["stores"])]
    return figures


def bench_keytool_loop(tmp, certs, count):
    store = seed_store(os.path.join(tmp, "loop.jks"))
    pems = []
    for index, cert in enumerate(certs[:count]):
        pem = os.path.join(tmp, "c%d.pem" % index)
        with open(pem, "w") as handle:
            handle.write(cert.pem())
        pems.append(pem)
    started = time.time()
    for index, pem in enumerate(pems):
        proc = keytool(
            "-importcert",
            "-noprompt",
            "-alias",
            "loop-%d" % index,
            "-file",
            pem,
            "-keystore",
            store,
            "-storepass:env",
            "KS_PASS",
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return (time.time() - started) / count


JAVA_CERT_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: java_cert, one certificate per task
      community.general.java_cert:
        cert_path: "{{ item }}"
        cert_alias: "{{ item | basename }}"
        keystore_path: "%s"
        keystore_pass: changeit
      loop: %s
"""


def bench_java_cert(tmp, certs, count):
    """Per-certificate time of community.general.java_cert, first and rerun: (t(count+1) - t(1)) / count."""
    pems = []
    for index, cert in enumerate(certs[: count + 1]):
        pem = os.path.join(tmp, "jc%d.pem" % index)
        with open(pem, "w") as handle:
            handle.write(cert.pem())
        pems.append(pem)
    walls = {}
    for selection in (pems[:1], pems):
        store = seed_store(os.path.join(tmp, "java_cert-%d.jks" % len(selection)))
        play = os.path.join(tmp, "java_cert-%d.yml" % len(selection))
        with open(play, "w") as handle:
            handle.write(JAVA_CERT_PLAY % (store, json.dumps(selection)))
        for run in ("first", "rerun"):
            walls[run, len(selection)] = run_java_cert_play(play)
    return [(walls[run, len(pems)] - walls[run, 1]) / count for run in ("first", "rerun")]


def run_java_cert_play(play):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    started = time.time()
    proc = subprocess.run(
        [
            os.path.join(BIN, "ansible-playbook"),
            "-i",
            "localhost,",
            play,
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    return time.time() - started


# the lab ---------------------------------------------------------------------------------------
def run_role(inventory, limit, bundle_path, state="present"):
    """(wall s, {host: module seconds}) of one playbook run."""
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_FORKS="64",
    )
    cmd = [
        os.path.join(BIN, "ansible-playbook"),
        os.path.join(ROOT, "playbooks", "truststore.yml"),
        "-i",
        inventory,
        "-l",
        limit,
        "-e",
        json.dumps(
            {
                "exasol_truststore_bundle_src": bundle_path,
                "exasol_truststore_state": state,
                "exasol_truststore_alias_prefix": PREFIX,
                "exasol_truststore_cache_dir": os.path.join(os.path.dirname(inventory), "cache"),
            }
        ),
    ]
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.time() - started
    if proc.returncode != 0:
        raise RuntimeError("playbook failed: %s" % (proc.stdout[-3000:] + proc.stderr[-2000:]))
    seconds = {}
    for play in json.loads(proc.stdout)["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if "stores" in result:
                    seconds[host] = result["seconds"]
    return wall, seconds


def bench_lab(lab, tmp, bundle_path):
    inventory = write_lab_inventory(lab, os.path.join(tmp, "inventory.json"))
    names = [n["name"] for n in lab["nodes"]]
    rows = []
    for limit, label in ((names[0], "1 node"), (",".join(names), "%d nodes" % len(names))):
        run_role(inventory, limit, bundle_path, state="absent")
        first_wall, first = run_role(inventory, limit, bundle_path)
        rerun_wall, rerun = run_role(inventory, limit, bundle_path)
        rows.append((label, first_wall, max(first.values()), rerun_wall, max(rerun.values())))
    run_role(inventory, ",".join(names), bundle_path, state="absent")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=os.path.join(RDS_DIR, "global-bundle.pem"))
    parser.add_argument("--slice", type=int, default=10, help="certificates for the keytool loop")
    parser.add_argument("--java-cert-slice", type=int, default=4, help="certificates for java_cert")
    parser.add_argument("--no-lab", action="store_true")
    parser.add_argument("--lab-only", action="store_true", help="only the role against the lab")
    args = parser.parse_args()
    certs = bundle(args.bundle)
    total = len(certs)
    tmp = tempfile.mkdtemp(prefix="bench_truststore.")
    try:
        report(args, certs, total, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(args, certs, total, tmp):
    print(
        "bundle: %s (%d certificates); 2 stores per node (central + SLC), seeded from %s"
        % (args.bundle, total, JDK_CACERTS)
    )
    if args.lab_only:
        lab_part(args)
        return
    jks = bench_module(tmp, args.bundle, "JKS")
    p12 = bench_module(tmp, args.bundle, "PKCS12")
    per_import = bench_keytool_loop(tmp, certs, args.slice)
    per_java_cert = bench_java_cert(tmp, certs, args.java_cert_slice)
    rows = [
        (
            "rds_truststore, JKS central + JKS SLC",
            "%.2f" % jks[0],
            "%.2f" % jks[1],
            "%.2f" % jks[3],
            "%.2f" % jks[4],
            "added %d; 0 JVM" % jks[2],
        ),
        (
            "rds_truststore, PKCS12 central + JKS SLC",
            "%.2f" % p12[0],
            "%.2f" % p12[1],
            "%.2f" % p12[3],
            "%.2f" % p12[4],
            "added %d; JVM starts: 2 first (cold cache), 0 rerun" % p12[2],
        ),
        (
            "keytool loop (1 JVM per cert)",
            "-",
            "%.1f" % (per_import * total * 2),
            "-",
            "n/a",
            "%.3f s/cert measured on %d certs, x%d x2 stores" % (per_import, args.slice, total),
        ),
        (
            "community.general.java_cert",
            "-",
            "%.1f" % (per_java_cert[0] * total * 2),
            "-",
            "%.1f" % (per_java_cert[1] * total * 2),
            "%.3f / %.3f s/cert (first / rerun) measured on %d certs, x%d x2 stores"
            % (per_java_cert[0], per_java_cert[1], args.java_cert_slice, total),
        ),
    ]
    header = ("approach (one node)", "first: module s", "first: wall s", "rerun: module s", "rerun: wall s", "notes")
    print_table(header, rows)
    print(
        "targets per node: first apply %.2f s <= 1.5 s %s; rerun %.2f s <= 0.5 s %s (module time, JKS stores)"
        % (jks[0], ok(jks[0] <= 1.5), jks[3], ok(jks[3] <= 0.5))
    )
    lab_part(args)


def lab_part(args):
    lab_json = os.path.join(LAB_STATE, "lab.json")
    if args.no_lab or not os.path.exists(lab_json):
        print("\nlab: not measured (%s)" % ("--no-lab" if args.no_lab else "no lab at %s" % lab_json))
        return
    with open(lab_json) as handle:
        lab = json.load(handle)
    tmp = tempfile.mkdtemp(prefix="bench_truststore_lab.")
    try:
        rows = bench_lab(lab, tmp, args.bundle)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nexasol_truststore role over SSH (lab %s, forks 64, %d CPUs):" % (LAB_STATE, os.cpu_count()))
    print_table(
        ("nodes", "first: wall s", "first: max module s", "rerun: wall s", "rerun: max module s"),
        [(r[0], "%.2f" % r[1], "%.2f" % r[2], "%.2f" % r[3], "%.2f" % r[4]) for r in rows],
    )
    one, many = rows
    count = len(lab["nodes"])
    print(
        "%s vs 1 node: first apply %.1fx, rerun %.1fx the wall time (target for 16 nodes: <= 4x) %s"
        % (one[0] if count == 1 else many[0], many[1] / one[1], many[3] / one[3], ok(many[1] / one[1] <= 4))
    )
    if count != 16:
        print("note: the lab runs %d nodes; for the 16-node figure bring it up with LAB_NODES=16" % count)


def ok(flag):
    return "OK" if flag else "MISSED"


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths)] + rows:
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))


if __name__ == "__main__":
    main()
