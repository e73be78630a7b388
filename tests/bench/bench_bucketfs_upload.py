"""Benchmark: exasol_bucketfs_upload against `curl -T`, side by side, over HTTP and HTTPS.

    .venv/bin/python tests/bench/bench_bucketfs_upload.py [--emulator 127.0.0.62] [--size-mb 200]
        [--large-mb 1536] [--schemes http,https] [--repeat 3] [--no-ansible]

Target BucketFS (one of):
- the lab's (`make lab-up`; LAB_STATE_DIR honoured), the default;
- an emulator of its own: `--emulator ADDRESS` or BENCH_BUCKETFS_EMULATOR=ADDRESS starts the lab's
  BucketFS emulator (tests/lab/bucketfs) on ADDRESS (ports BENCH_BUCKETFS_HTTP_PORT/_HTTPS_PORT,
  default 2580/2581) with a temporary state directory and a certificate of its own, and stops it
  after. Use a loopback address the lab does not use (e.g. 127.0.0.62).

Sizes: the default run is one 200 MB file (--size-mb). The large case (a script-language container
is 1-2 GB) is opt-in: `--large-mb 1536` or BENCH_BUCKETFS_LARGE_MB=1536; it needs about 4x that
size of free disk (source file, the emulator's copies).

Per scheme and size, --repeat interleaved rounds (default 5: curl, then the module, then the next
round), so that both see the same load; each figure is the median of the rounds, with min and max,
and "rounds >= 90 %" counts the rounds in which the module reached 90 % of the same round's curl.
The load average is printed per target (at its start and end):
1. `curl -T` (password from a 0600 netrc file, never on a command line): wall time, peak RSS.
2. The module exactly as Ansible runs it on the target: the AnsiballZ file of a real `ansible`
   ad-hoc call (kept with ANSIBLE_KEEP_REMOTE_FILES), executed again per round (Python start-up,
   unzip, imports included), forced upload, wait_visible off (the same work as curl): wall time,
   peak RSS, % of curl's throughput.
3. The same upload as an `ansible` ad-hoc task (localhost, connection local): what a user waits
   for, controller start-up included; and its 1 KiB run (Ansible's fixed cost, subtracted for the
   "transfer" column). Skipped with --no-ansible.
4. Reruns with the same file (nothing may be sent): compare=auto (the sidecar checksum: the local
   file is hashed, the remote one is not downloaded) and compare=content (one download).
Peak RSS and CPU seconds (user+sys of the process alone, unlike wall time hardly moved by other
load on the machine) come from GNU time (/usr/bin/time, when installed); "RSS growth" is the
module's peak for the big file minus its peak for a 1 KiB file.
Verdicts (PASS/FAIL per target): the module's median >= 90 % of curl's median throughput (and the
ad-hoc transfer's), RSS growth < 50 MB, reruns send no body.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import types
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_DIR = os.path.join(ROOT, "tests", "lab")
LAB_STATE = os.environ.get("LAB_STATE_DIR", os.path.join(LAB_DIR, "state"))
MODULE = os.path.join(ROOT, "plugins", "modules", "exasol_bucketfs_upload.py")
BIN = os.path.dirname(sys.executable)
MB = 1024 * 1024


def private_file(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def random_file(path, size):
    block = os.urandom(4 * MB)
    with open(path, "wb") as handle:
        left = size
        while left:
            # A fresh random head per block is enough to defeat any compression and deduplication.
            piece = os.urandom(64) + block[64 : min(left, len(block))]
            handle.write(piece[:left])
            left -= len(piece[:left])
    return path


TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def _wait4_popen(argv, env=None, cwd=None):
    """Run argv; (seconds, peak RSS MB, CPU seconds (user+sys) of argv's process, stdout, stderr, status).

    The peak RSS comes from GNU time, which forks argv from its own small process: a child forked
    straight from this (larger) Python process would report this process's RSS as its own peak.
    """
    rss_file = None
    if TIME:
        rss_file = tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False).name
        argv = [TIME, "-q", "-f", "%M %U %S", "-o", rss_file] + list(argv)
    started = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    out, err = proc.communicate()
    seconds = time.time() - started
    rss = cpu = None
    if rss_file:
        with open(rss_file) as handle:
            fields = handle.read().split()[-3:]
        rss, cpu = int(fields[0]) / 1024.0, float(fields[1]) + float(fields[2])
        os.unlink(rss_file)
    return seconds, rss, cpu, out, err, proc.returncode


def module_run(workdir, args):
    """The module in a child process with a JSON args file; (seconds, peak RSS MB, result)."""
    path = private_file(
        os.path.join(workdir, "args-%s.json" % uuid.uuid4().hex[:6]), json.dumps({"ANSIBLE_MODULE_ARGS": args})
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"))
    try:
        return _module_result(*_wait4_popen([sys.executable, MODULE, path], env=env))
    finally:
        os.unlink(path)


def _module_result(seconds, rss, cpu, out, err, status):
    try:
        result = json.loads(out)
    except ValueError:
        raise SystemExit("module printed no JSON: %s %s" % (out[-2000:], err[-2000:]))
    if status or result.get("failed"):
        raise SystemExit("module failed: %s" % result.get("msg", out[-2000:]))
    return seconds, rss, result, cpu


def ansiballz_payload(workdir, args):
    """The AnsiballZ file Ansible builds for this module call (kept with ANSIBLE_KEEP_REMOTE_FILES).

    Running it is exactly what the controller runs on the target: unpack the zipped module and
    its module_utils, start Python, import, run. The args (with the password) are inside; the file
    lives in workdir (mode 0700) and goes with it.
    """
    remote = os.path.join(workdir, "remote-tmp")
    # ansible.cfg pipelines (no file on the target); this one call writes the file and keeps it
    adhoc_run(workdir, args, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote, ANSIBLE_PIPELINING="0")
    found = [
        os.path.join(top, name)
        for top, _dirs, names in os.walk(remote)
        for name in names
        if name.startswith("AnsiballZ_exasol_bucketfs_upload")
    ]
    if len(found) != 1:
        raise SystemExit("expected one AnsiballZ file under %s, found %s" % (remote, found))
    payload = os.path.join(workdir, "AnsiballZ-%s.py" % uuid.uuid4().hex[:6])
    os.rename(found[0], payload)
    shutil.rmtree(remote)
    return payload


def ansiballz_run(payload):
    """(seconds, peak RSS MB, result) of one AnsiballZ execution, as on the target."""
    return _module_result(*_wait4_popen([sys.executable, payload], cwd=os.path.dirname(payload)))


def curl_run(url, netrc, ca_file, src):
    argv = ["curl", "-sS", "--fail", "--netrc-file", netrc, "-T", src, "-o", "/dev/null", "-w", "%{size_upload}", url]
    if url.startswith("https"):
        argv[1:1] = ["--cacert", ca_file]
    seconds, rss, cpu, out, err, status = _wait4_popen(argv)
    if status:
        raise SystemExit("curl failed: %s" % err.decode(errors="replace"))
    return seconds, rss, int(float(out or 0)), cpu


def adhoc_run(workdir, args, **env_extra):
    """The module as an `ansible` ad-hoc task on localhost; seconds (controller start-up included)."""
    vars_file = private_file(os.path.join(workdir, "adhoc-vars.json"), json.dumps({"bench": args}))
    module_args = " ".join("%s={{ bench.%s }}" % (key, key) for key in sorted(args))
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        **env_extra,
    )
    argv = [
        os.path.join(BIN, "ansible"),
        "localhost",
        "-c",
        "local",
        "-e",
        "@" + vars_file,
        "-e",
        "ansible_python_interpreter=" + sys.executable,
        "-m",
        "virtualis.aurora.exasol_bucketfs_upload",
        "-a",
        module_args,
    ]
    seconds, _rss, _cpu, out, err, status = _wait4_popen(argv, env=env, cwd=ROOT)
    if status:
        raise SystemExit("ansible failed: %s" % (out + err).decode(errors="replace")[-2000:])
    return seconds


# targets -------------------------------------------------------------------------------------
def lab_target():
    try:
        with open(os.path.join(LAB_STATE, "lab.json")) as handle:
            return json.load(handle)["bucketfs"], None
    except (OSError, KeyError) as exc:
        raise SystemExit("the lab's BucketFS is not up (%s): run `make lab-up` or use --emulator ADDRESS" % exc)


def wait_port(address, port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the BucketFS emulator exited with %s" % proc.returncode)
        try:
            socket.create_connection((address, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the BucketFS emulator did not listen on %s:%d" % (address, port))


def emulator_target(address, workdir):
    """Start tests/lab/bucketfs on address with a state dir in workdir; (bfs dict, process)."""
    sys.path.insert(0, LAB_DIR)
    from bucketfs import tls  # the lab's own certificate maker (an own CA when no lab CA exists)

    state = os.path.join(workdir, "emulator")
    os.makedirs(state, mode=0o700)
    http_port = int(os.environ.get("BENCH_BUCKETFS_HTTP_PORT", "2580"))
    https_port = int(os.environ.get("BENCH_BUCKETFS_HTTPS_PORT", "2581"))
    cert = tls.server_cert(types.SimpleNamespace(state=None), os.path.join(state, "tls"), "BucketFS", address)
    password = uuid.uuid4().hex
    config = {
        "service": "bfsdefault",
        "sync_delay": 0.1,
        "exasol_version": "7.1",
        "jdbc_bucket": "default",
        "jdbc_dir": "drivers/jdbc",
        "host_dir": os.path.join(state, "host"),
        "state_dir": state,
        "address": address,
        "http_port": http_port,
        "https_port": https_port,
        "cert_file": cert["cert_file"],
        "key_file": cert["key_file"],
        "buckets": {"default": {"read_password": uuid.uuid4().hex, "write_password": password, "public": False}},
    }
    config_file = private_file(os.path.join(state, "config.json"), json.dumps(config))
    log = open(os.path.join(state, "emulator.log"), "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bucketfs", config_file],
        cwd=LAB_DIR,
        stdout=log,
        stderr=log,
        env=dict(os.environ, PYTHONPATH=LAB_DIR, PYTHONUNBUFFERED="1"),
    )
    log.close()
    for port in (http_port, https_port):
        wait_port(address, port, proc)
    bfs = {
        "http_url": "http://%s:%d" % (address, http_port),
        "https_url": "https://%s:%d" % (address, https_port),
        "service": "bfsdefault",
        "bucket": "default",
        "write_password": password,
        "ca_file": cert["ca_file"],
    }
    return bfs, proc


# measurements --------------------------------------------------------------------------------
class Bench:
    def __init__(self, bfs, workdir, options):
        self.bfs, self.workdir, self.options, self.rows, self.checks, self.loads = bfs, workdir, options, [], [], []
        self.tiny = random_file(os.path.join(workdir, "tiny.bin"), 1024)

    def common(self, scheme):
        bfs = self.bfs
        return dict(
            url=bfs["%s_url" % scheme],
            bucket=bfs["bucket"],
            password=bfs["write_password"],
            ca_cert=bfs["ca_file"],
            service=bfs["service"],
            wait_visible=False,
        )

    def row(self, scheme, size_mb, what, times, curl_times=None, rss=None, sent=None, note="", cpu=None):
        """One table row from the seconds of each round; the median rate, or None without a body."""
        seconds = statistics.median(times)
        rate = size_mb / seconds if seconds and sent else None
        share = held = ""
        if rate and curl_times:
            share = "%3.0f %%" % (100.0 * statistics.median(curl_times) / seconds)
            held = "%d/%d" % (sum(c >= 0.9 * t for c, t in zip(curl_times, times)), len(times))
        self.rows.append(
            (scheme, size_mb, what, seconds, min(times), max(times), rate, share, held, rss, cpu, sent, note)
        )
        return rate

    def scheme(self, scheme, src, size):
        size_mb = size / float(MB)
        common, tag = self.common(scheme), uuid.uuid4().hex[:8]
        host = common["url"].split("://", 1)[1].rsplit(":", 1)[0]
        netrc = private_file(
            os.path.join(self.workdir, "netrc"), "machine %s login w password %s\n" % (host, common["password"])
        )
        curl_url = "%s/%s/bench/%s/curl.bin" % (common["url"], common["bucket"], tag)
        runs = {"curl": [], "module": [], "tiny": [], "adhoc": [], "adhoc_tiny": []}
        # The module exactly as Ansible runs it on the target: the AnsiballZ file of a real ad-hoc
        # call (forced upload), executed again per round.
        big = ansiballz_payload(self.workdir, dict(common, path="bench/%s/module.bin" % tag, src=src, force=True))
        tiny = ansiballz_payload(self.workdir, dict(common, path="bench/%s/tiny.bin" % tag, src=self.tiny, force=True))
        load = [os.getloadavg()[0]]
        for _round in range(self.options.repeat):
            runs["curl"].append(curl_run(curl_url, netrc, common["ca_cert"], src))
            runs["module"].append(ansiballz_run(big))
            runs["tiny"].append(ansiballz_run(tiny))
            if not self.options.no_ansible:
                runs["adhoc"].append(
                    adhoc_run(self.workdir, dict(common, path="bench/%s/adhoc.bin" % tag, src=src, force=True))
                )
                runs["adhoc_tiny"].append(
                    adhoc_run(
                        self.workdir, dict(common, path="bench/%s/adhoc-tiny.bin" % tag, src=self.tiny, force=True)
                    )
                )
        load.append(os.getloadavg()[0])
        self.loads.append("%s %.0f MB: %.1f -> %.1f" % (scheme, size_mb, load[0], load[1]))
        self.summarize(scheme, size_mb, size, runs)
        self.reruns(scheme, size_mb, common, tag, src, max(r[1] for r in runs["tiny"]))
        self.cleanup(common, tag)

    def summarize(self, scheme, size_mb, size, runs):
        curl_times = [r[0] for r in runs["curl"]]
        curl_rate = self.row(
            scheme,
            size_mb,
            "curl -T",
            curl_times,
            rss=max(r[1] for r in runs["curl"]),
            sent=runs["curl"][0][2],
            cpu=statistics.median(r[3] for r in runs["curl"]),
        )
        tiny_rss = max(r[1] for r in runs["tiny"])
        self.row(
            scheme,
            size_mb,
            "module, AnsiballZ run, 1 KiB file",
            [r[0] for r in runs["tiny"]],
            rss=tiny_rss,
            note="baseline RSS %.0f MB" % tiny_rss,
            cpu=statistics.median(r[3] for r in runs["tiny"]),
        )
        growth = max(r[1] for r in runs["module"]) - tiny_rss
        rate = self.row(
            scheme,
            size_mb,
            "module, AnsiballZ run",
            [r[0] for r in runs["module"]],
            curl_times,
            growth,
            runs["module"][0][2]["bytes_sent"],
            "start-up included; RSS growth vs 1 KiB",
            statistics.median(r[3] for r in runs["module"]),
        )
        self.checks.append(
            (
                "%s %.0f MB: module >= 90 %% of curl (median; %s rounds)" % (scheme, size_mb, self.rows[-1][8]),
                rate >= 0.9 * curl_rate,
            )
        )
        self.checks.append(("%s %.0f MB: RSS growth %.1f MB < 50 MB" % (scheme, size_mb, growth), growth < 50))
        if runs["adhoc"]:
            fixed = statistics.median(runs["adhoc_tiny"])
            self.row(
                scheme, size_mb, "ansible ad-hoc, 1 KiB file", runs["adhoc_tiny"], note="controller + module start-up"
            )
            self.row(scheme, size_mb, "ansible ad-hoc task", runs["adhoc"], curl_times, sent=size, note="all included")
            transfer = self.row(
                scheme,
                size_mb,
                "ansible ad-hoc minus 1 KiB run",
                [t - fixed for t in runs["adhoc"]],
                curl_times,
                sent=size,
                note="the transfer as Ansible runs it",
            )
            self.checks.append(
                ("%s %.0f MB: ad-hoc transfer >= 90 %% of curl" % (scheme, size_mb), transfer >= 0.9 * curl_rate)
            )

    def reruns(self, scheme, size_mb, common, tag, src, tiny_rss):
        args = dict(common, path="bench/%s/module.bin" % tag, src=src, wait_visible=True)
        module_run(self.workdir, args)  # the last forced upload: make sure it is published
        for compare in ("auto", "content"):
            seconds, rss, result, cpu = module_run(self.workdir, dict(args, compare=compare))
            self.row(
                scheme,
                size_mb,
                "module rerun, compare=%s" % compare,
                [seconds],
                rss=rss - tiny_rss,
                sent=result["bytes_sent"],
                note="changed=%s, compared by %s" % (result["changed"], result.get("compared_by")),
                cpu=cpu,
            )
            self.checks.append(
                (
                    "%s %.0f MB: rerun (%s) sends nothing, changed=false" % (scheme, size_mb, compare),
                    result["bytes_sent"] == 0 and not result["changed"],
                )
            )
            self.checks.append(
                (
                    "%s %.0f MB: rerun (%s) RSS growth %.1f MB < 50 MB" % (scheme, size_mb, compare, rss - tiny_rss),
                    rss - tiny_rss < 50,
                )
            )

    def cleanup(self, common, tag):
        sys.path.insert(0, os.path.join(ROOT, ".collections"))
        from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import BucketFSClient

        client = BucketFSClient(common["url"], common["bucket"], "w", common["password"], ca_cert=common["ca_cert"])
        for path in client.list():
            if path.startswith("bench/%s/" % tag):
                client.delete(path)

    def print_table(self, target):
        print(
            "\nexasol_bucketfs_upload vs curl -T, BucketFS %s (%d CPUs, %d rounds, load average %s)"
            % (target, os.cpu_count(), self.options.repeat, "; ".join(self.loads))
        )
        header = (
            "scheme",
            "MB",
            "what",
            "median s",
            "min",
            "max",
            "MB/s",
            "of curl",
            ">=90 %",
            "RSS MB",
            "CPU s",
            "body bytes",
            "note",
        )
        print("%-6s %5s  %-34s %8s %6s %6s %6s %7s %6s %7s %6s %11s  %s" % header)
        for scheme, size_mb, what, seconds, low, high, rate, share, held, rss, cpu, sent, note in self.rows:
            print(
                "%-6s %5.0f  %-34s %8.2f %6.2f %6.2f %6s %7s %6s %7s %6s %11s  %s"
                % (
                    scheme,
                    size_mb,
                    what,
                    seconds,
                    low,
                    high,
                    "%.0f" % rate if rate else "-",
                    share,
                    held,
                    "%.1f" % rss if rss is not None else "-",
                    "%.2f" % cpu if cpu is not None else "-",
                    sent if sent is not None else "-",
                    note,
                )
            )
        print()
        for text, ok in self.checks:
            print("%s  %s" % ("PASS" if ok else "FAIL", text))
        return 0 if all(ok for _t, ok in self.checks) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--emulator",
        default=os.environ.get("BENCH_BUCKETFS_EMULATOR"),
        help="start an own BucketFS emulator on this loopback address instead of using the lab's",
    )
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument(
        "--large-mb",
        type=int,
        default=int(os.environ.get("BENCH_BUCKETFS_LARGE_MB", "0")),
        help="also a large file of this size (opt-in; e.g. 1536)",
    )
    parser.add_argument("--schemes", default="http,https")
    parser.add_argument("--no-ansible", action="store_true", help="skip the ansible ad-hoc runs")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds per measurement; medians count")
    options = parser.parse_args()
    if not shutil.which("curl"):
        raise SystemExit("curl is missing (apt-get install curl)")
    workdir = tempfile.mkdtemp(prefix="bench-bucketfs-")
    proc = None
    try:
        if options.emulator:
            bfs, proc = emulator_target(options.emulator, workdir)
        else:
            bfs, proc = lab_target()
        bench = Bench(bfs, workdir, options)
        for size_mb in [options.size_mb] + ([options.large_mb] if options.large_mb else []):
            size = size_mb * MB
            src = random_file(os.path.join(workdir, "src-%d.bin" % size_mb), size)
            for scheme in options.schemes.split(","):
                bench.scheme(scheme, src, size)
            os.unlink(src)
        return bench.print_table("emulator on %s" % options.emulator if options.emulator else "of the lab")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
