"""Benchmark: a 200 MB upload to the lab BucketFS through exasol_bucketfs_upload and through `curl -T`.

    .venv/bin/python tests/bench/bench_bucketfs_upload.py [--size-mb 200] [--schemes http,https] [--no-playbook]

Needs the lab's BucketFS (`make lab-up`; LAB_STATE_DIR honoured). Side by side, per scheme:
1. `curl -T` (password from a 0600 netrc file, never on the command line): wall time.
2. The module as Ansible runs it (a child process with a JSON args file), first upload of the file,
   with wait_visible off (the same work as curl) and on (adds the wait for BucketFS to list it):
   wall time, peak RSS of the module process (ru_maxrss of the child), bytes of file body sent.
   Also the module's upload code in-process (the transfer alone, no interpreter start-up), and the
   module uploading 1 KiB (its fixed start-up cost). Curl and module runs are interleaved
   (--repeat rounds) and the fastest of each counts.
3. The module again with the same file: nothing uploaded (bytes sent must be 0); it downloads the
   file once to compare it.
4. Optionally the same upload as an ansible-playbook task (what a user sees, Ansible start-up included).
Memory growth = peak RSS of the 200 MB upload minus peak RSS of the same module uploading 1 KiB.
Targets: module throughput >= 80 % of curl's, memory growth < 50 MB, rerun sends no body.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_STATE = os.environ.get("LAB_STATE_DIR", os.path.join(ROOT, "tests", "lab", "state"))
MODULE = os.path.join(ROOT, "plugins", "modules", "exasol_bucketfs_upload.py")
BIN = os.path.dirname(sys.executable)
MB = 1024 * 1024


def private_file(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def random_file(path, size):
    with open(path, "wb") as handle:
        left = size
        while left:
            block = os.urandom(min(left, 4 * MB))
            handle.write(block)
            left -= len(block)
    return path


def module_run(workdir, args):
    """The module in a child process (as Ansible runs it); (seconds, peak RSS MB, result)."""
    path = private_file(os.path.join(workdir, "args-%s.json" % uuid.uuid4().hex[:6]),
                        json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"))
    started = time.time()
    proc = subprocess.Popen([sys.executable, MODULE, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.time() - started
    result = json.loads(out)
    if status or result.get("failed"):
        raise SystemExit("module failed: %s" % result.get("msg", out[-2000:]))
    return seconds, usage.ru_maxrss / 1024.0, result


def curl_run(workdir, url, netrc, ca_file, src):
    argv = ["curl", "-sS", "--fail", "--netrc-file", netrc, "-T", src, "-o", "/dev/null",
            "-w", "%{size_upload}", url]
    if url.startswith("https"):
        argv[1:1] = ["--cacert", ca_file]
    started = time.time()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.time() - started
    if proc.returncode:
        raise SystemExit("curl failed: %s" % proc.stderr)
    return seconds, int(float(proc.stdout or 0))


def playbook_run(workdir, args):
    vars_file = private_file(os.path.join(workdir, "bench-vars.yml"), json.dumps({"bench_args": args}))
    playbook = os.path.join(workdir, "bench-play.yml")
    with open(playbook, "w") as handle:
        handle.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
                     "    - name: Upload\n      virtualis.aurora.exasol_bucketfs_upload: \"{{ bench_args }}\"\n")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    started = time.time()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), playbook, "-e", "@" + vars_file],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if proc.returncode:
        raise SystemExit("ansible-playbook failed: %s" % proc.stdout[-2000:])
    return time.time() - started


def wait_synced(bfs):
    try:
        with urllib.request.urlopen(bfs["lab_endpoint"] + "wait-synced", timeout=60) as response:
            response.read()
    except OSError:
        time.sleep(2)


def engine_run(common, path, src):
    """The module's upload code (module_utils._bucketfs) in this process: the transfer without start-up."""
    sys.path.insert(0, os.path.join(ROOT, ".collections"))
    from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import BucketFSClient
    client = BucketFSClient(common["url"], common["bucket"], "w", common["password"], ca_cert=common["ca_cert"])
    started = time.time()
    client.upload(path, src)
    return time.time() - started, client.bytes_sent


def bench_scheme(scheme, bfs, workdir, files, rows, options):
    src, size, tiny = files
    base = bfs["%s_url" % scheme]
    host = base.split("://", 1)[1].split(":")[0]
    netrc = private_file(os.path.join(workdir, "netrc"), "machine %s login w password %s\n" % (host, bfs["write_password"]))
    tag = uuid.uuid4().hex[:8]
    common = dict(url=base, bucket=bfs["bucket"], password=bfs["write_password"], ca_cert=bfs["ca_file"],
                  service=bfs["service"])

    def rate(seconds):
        return size / MB / seconds

    # Interleaved rounds (curl, module, in-process, start-up), so that all see the same machine load;
    # the fastest run of each counts.
    runs = {"curl": [], "module": [], "engine": [], "tiny": []}
    for _round in range(options.repeat):
        runs["curl"].append(curl_run(workdir, "%s/%s/bench/%s/curl.bin" % (base, bfs["bucket"], tag),
                                     netrc, bfs["ca_file"], src))
        runs["module"].append(module_run(workdir, dict(common, path="bench/%s/module.bin" % tag, src=src,
                                                       wait_visible=False, force=True)))
        runs["engine"].append(engine_run(common, "bench/%s/engine.bin" % tag, src))
        runs["tiny"].append(module_run(workdir, dict(common, path="bench/%s/tiny.bin" % tag, src=tiny,
                                                     wait_visible=False, force=True)))
    seconds, sent = min(runs["curl"])
    curl_rate = rate(seconds)
    rows.append((scheme, "curl -T", seconds, curl_rate, None, sent, ""))
    start_up, tiny_rss = min(r[0] for r in runs["tiny"]), max(r[1] for r in runs["tiny"])
    rows.append((scheme, "module, 1 KiB file (start-up)", start_up, None, 0.0, 1024, "baseline RSS %.0f MB" % tiny_rss))
    seconds, rss = min(r[0] for r in runs["module"]), max(r[1] for r in runs["module"])
    module_rate = rate(seconds)
    rows.append((scheme, "module, upload", seconds, module_rate, rss - tiny_rss, runs["module"][0][2]["bytes_sent"],
                 "%.0f %% of curl" % (100.0 * module_rate / curl_rate)))
    seconds, sent = min(runs["engine"])
    rows.append((scheme, "module code in-process", seconds, rate(seconds), None, sent,
                 "%.0f %% of curl (no interpreter start-up)" % (100.0 * rate(seconds) / curl_rate)))
    seconds, rss, result = module_run(workdir, dict(common, path="bench/%s/module-wait.bin" % tag, src=src))
    rows.append((scheme, "module, upload + wait_visible", seconds, rate(seconds), rss - tiny_rss, result["bytes_sent"], ""))
    wait_synced(bfs)
    seconds, rss, result = module_run(workdir, dict(common, path="bench/%s/module.bin" % tag, src=src))
    rows.append((scheme, "module, rerun same file", seconds, None, rss - tiny_rss, result["bytes_sent"],
                 "changed=%s (downloads to compare)" % result["changed"]))
    if not options.no_playbook:
        seconds = playbook_run(workdir, dict(common, path="bench/%s/playbook.bin" % tag, src=src))
        rows.append((scheme, "ansible-playbook task", seconds, rate(seconds), None, size, "Ansible start-up included"))
    cleanup(common, tag)
    return curl_rate, module_rate


def cleanup(common, tag):
    sys.path.insert(0, os.path.join(ROOT, ".collections"))
    from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import BucketFSClient
    client = BucketFSClient(common["url"], common["bucket"], "w", common["password"], ca_cert=common["ca_cert"])
    for path in client.list():
        if path.startswith("bench/%s/" % tag):
            client.delete(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--schemes", default="http,https")
    parser.add_argument("--no-playbook", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    options = parser.parse_args()
    try:
        with open(os.path.join(LAB_STATE, "lab.json")) as handle:
            bfs = json.load(handle)["bucketfs"]
    except (OSError, KeyError) as exc:
        raise SystemExit("the lab's BucketFS is not up (%s): run `make lab-up`" % exc)
    if not shutil.which("curl"):
        raise SystemExit("curl is missing (apt-get install curl)")
    workdir = tempfile.mkdtemp(prefix="bench-bucketfs-")
    try:
        size = options.size_mb * MB
        src = random_file(os.path.join(workdir, "big.bin"), size)
        tiny = random_file(os.path.join(workdir, "tiny.bin"), 1024)
        rows, verdicts = [], []
        for scheme in options.schemes.split(","):
            curl_rate, module_rate = bench_scheme(scheme, bfs, workdir, (src, size, tiny), rows, options)
            verdicts.append((scheme, module_rate >= 0.8 * curl_rate))
        print_table(options.size_mb, rows)
        return report(rows, verdicts)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(size_mb, rows):
    print("\n%d MB upload to the lab BucketFS (%d CPUs, load %.1f)" % (size_mb, os.cpu_count(), os.getloadavg()[0]))
    header = ("scheme", "what", "seconds", "MB/s", "RSS growth MB", "body bytes sent", "note")
    print("%-6s  %-31s %8s %8s %14s %16s  %s" % header)
    for scheme, what, seconds, rate, rss, sent, note in rows:
        print("%-6s  %-31s %8.2f %8s %14s %16s  %s" % (
            scheme, what, seconds, "%.0f" % rate if rate else "-", "%.1f" % rss if rss is not None else "-",
            sent, note))


def report(rows, verdicts):
    growth = max(r[4] for r in rows if r[4] is not None)
    rerun_sent = [r[5] for r in rows if r[1] == "module, rerun same file"]
    checks = [("throughput >= 80 %% of curl (%s)" % s, ok) for s, ok in verdicts]
    checks += [("memory growth %.1f MB < 50 MB" % growth, growth < 50),
               ("rerun sends no file body (%s bytes)" % rerun_sent, all(sent == 0 for sent in rerun_sent))]
    print()
    for text, ok in checks:
        print("%s  %s" % ("PASS" if ok else "FAIL", text))
    return 0 if all(ok for _t, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
