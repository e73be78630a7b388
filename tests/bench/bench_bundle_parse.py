"""Benchmark: parsing big PEM bundles, the current _x509 parser beside the older ways (issue 11 item 6).

    .venv/bin/python tests/bench/bench_bundle_parse.py [--sizes 2,4,8,16,50] [--old-max-mb 8]

Bundles of the given sizes (MB) are built from the real RDS global bundle kept in the repository
(tests/unit/fixtures/rds/global-bundle.pem), each copy with its serial number changed in place so
that every certificate is distinct (the DER stays well-formed; signatures do not matter to a parser).
Per size, one line:
- `now`: plugins/module_utils/_x509.parse_pem_bundle of this checkout (what rds_truststore runs);
- `0.1.0`: the 0.1.0 parser (read from git, commit 1e65cf0), which counted newlines from the start
  of the bundle for every block: quadratic, so only run up to --old-max-mb;
- `openssl`: `openssl crl2pkcs7 -nocrl -certfile B | openssl pkcs7 -print_certs -noout`, the usual
  shell way, for scale.
Targets (issue 11, on the 2-core development machine): 16 MB under 2 s, 50 MB under 10 s; the
target column says ok/missed for the wall time and for the CPU time (what the parser costs when
other work shares the cores). Not a test: timings depend on the machine's load; run it alone.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.virtualis.aurora.plugins.module_utils._x509 import Certificate, parse_pem_bundle

GLOBAL = os.path.join(ROOT, "tests", "unit", "fixtures", "rds", "global-bundle.pem")
OLD_COMMIT = "1e65cf0"  # rds_truststore 0.1.0: module and stdlib JKS/X.509/java.security helpers
TARGETS = {16: 2.0, 50: 10.0}


def distinct_bundle(megabytes):
    """PEM text of about `megabytes` MB, every certificate distinct (serial bytes rewritten)."""
    with open(GLOBAL, "rb") as handle:
        base = parse_pem_bundle(handle.read(), GLOBAL)
    parts, size, copy = [], 0, 0
    while size < megabytes * 1024 * 1024:
        for cert in base:
            der = bytearray(cert.der)
            serial_at = der.find(cert.serial.to_bytes((cert.serial.bit_length() + 7) // 8, "big"))
            der[serial_at + 1 : serial_at + 5] = copy.to_bytes(4, "big")  # the first byte keeps sign and minimal form
            pem = Certificate(bytes(der)).pem()
            parts.append(pem)
            size += len(pem)
        copy += 1
    return "".join(parts)


def old_parser():
    """parse_pem_bundle of 0.1.0, loaded from git (None when the history is not there)."""
    proc = subprocess.run(
        ["git", "-C", ROOT, "show", OLD_COMMIT + ":plugins/module_utils/_x509.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    module = types.ModuleType("_x509_010")
    exec(compile(proc.stdout, "_x509@" + OLD_COMMIT, "exec"), module.__dict__)  # noqa: S102 - our own history
    return module.parse_pem_bundle


def timed(func, *args):
    started = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - started


def cpu_timed(func, *args):
    """(result, wall seconds, CPU seconds of this process): on a shared machine the CPU time is
    what the parser costs, the wall time what the load made of it."""
    started, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    return result, time.perf_counter() - started, time.process_time() - cpu


def openssl_count(path):
    command = "openssl crl2pkcs7 -nocrl -certfile %s | openssl pkcs7 -print_certs -noout | grep -c '^subject'" % path
    proc = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    return int(proc.stdout.strip() or 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,4,8,16,50", help="bundle sizes in MB, comma separated")
    parser.add_argument("--old-max-mb", type=float, default=8, help="largest size the 0.1.0 parser is run on")
    args = parser.parse_args()
    old = old_parser()
    print("%8s %8s %10s %10s %10s %10s %12s" % ("MB", "certs", "now s", "now cpu s", "0.1.0 s", "openssl s", "target"))
    with tempfile.TemporaryDirectory() as workdir:
        for megabytes in [float(s) for s in args.sizes.split(",")]:
            text = distinct_bundle(megabytes)
            path = os.path.join(workdir, "bundle.pem")
            with open(path, "w") as handle:
                handle.write(text)
            certs, now, now_cpu = cpu_timed(parse_pem_bundle, text.encode("ascii"), path)
            old_s = "-"
            if old and megabytes <= args.old_max_mb:
                old_certs, seconds = timed(old, text.encode("ascii"), path)
                assert len(old_certs) == len(certs)
                old_s = "%.2f" % seconds
            count, openssl_s = timed(openssl_count, path)
            assert count == len(certs), (count, len(certs))
            target = TARGETS.get(int(megabytes))
            verdict = (
                ""
                if target is None
                else "< %g %s/%s" % (target, "ok" if now < target else "missed", "ok" if now_cpu < target else "missed")
            )
            print(
                "%8.1f %8d %10.2f %10.2f %10s %10.2f %12s"
                % (len(text) / 1048576.0, len(certs), now, now_cpu, old_s, openssl_s, verdict)
            )


if __name__ == "__main__":
    main()
