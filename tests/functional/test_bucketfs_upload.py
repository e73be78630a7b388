"""exasol_bucketfs_upload against the lab's BucketFS emulator, through ansible-playbook.

Each test writes a small playbook and a vars file (mode 0600: it holds the bucket password) and
checks what a user would: `changed` on each run, the file under the lab's host directory, the file
readable with the read user over HTTPS, the error text for bad input, nothing left behind.
"""

import base64
import hashlib
import json
import os
import ssl
import urllib.request
import uuid

import pytest
import yaml

from lab_helpers import bucketfs_context, run_playbook

MODULE = "virtualis.aurora.exasol_bucketfs_upload"


@pytest.fixture
def bfs(lab):
    return lab["bucketfs"]


@pytest.fixture
def prefix():
    return "functional/upload-%s" % uuid.uuid4().hex[:8]


def host_file(bfs, path):
    return os.path.join(bfs["host_dir"], bfs["service"], ".dest", bfs["bucket"], path)


def play(tmp_path, tasks, variables):
    """Run tasks on localhost; returns (CompletedProcess, results dict written by the play)."""
    out = tmp_path / "results.json"
    variables = dict(variables, results_file=str(out))
    vars_file = tmp_path / "vars.yml"
    fd = os.open(str(vars_file), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(variables, handle)
    registered = [t["register"] for t in tasks if "register" in t]
    tasks = tasks + [
        {
            "name": "Save the results",
            "ansible.builtin.copy": {
                "dest": "{{ results_file }}",
                "mode": "0600",
                "content": "{{ {%s} | to_json }}" % ", ".join("'%s': %s | default(None)" % (r, r) for r in registered),
            },
        }
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "exasol_bucketfs_upload",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "tasks": tasks,
                }
            ]
        )
    )
    proc = run_playbook(str(playbook), "-e", "@" + str(vars_file))
    results = json.loads(out.read_text()) if out.exists() else {}
    return proc, results


def upload(name, register, check=False, ignore_errors=False, **args):
    task = {
        "name": name,
        MODULE: dict({"url": "{{ url }}", "password": "{{ password }}", "ca_cert": "{{ ca_cert }}"}, **args),
        "register": register,
    }
    if check:
        task["check_mode"] = True
        task["diff"] = True
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def test_upload_rerun_change_delete(bfs, prefix, tmp_path):
    src, src2 = tmp_path / "a.jar", tmp_path / "b.jar"
    src.write_bytes(os.urandom(300000))
    src2.write_bytes(os.urandom(300001))
    path = prefix + "/a.jar"
    tasks = [
        upload("check mode, absent", "r1", check=True, path=path, src=str(src)),
        upload("upload", "r2", path=path, src=str(src)),
        upload("check mode, same", "r3", check=True, path=path, src=str(src)),
        upload("rerun", "r4", path=path, src=str(src)),
        upload("changed content", "r5", path=path, src=str(src2)),
        upload("delete, check mode", "r6", check=True, path=path, state="absent"),
        upload("delete", "r7", path=path, state="absent"),
        upload("delete again", "r8", path=path, state="absent"),
    ]
    proc, r = play(tmp_path, tasks, dict(url=bfs["https_url"], password=bfs["write_password"], ca_cert=bfs["ca_file"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sha1 = hashlib.sha256(src.read_bytes()).hexdigest()
    assert [r["r%d" % i]["changed"] for i in range(1, 9)] == [True, True, False, False, True, True, True, False]
    assert r["r1"]["bytes_sent"] == 0 and r["r2"]["bytes_sent"] == 300000
    assert r["r3"]["bytes_sent"] == 0 and r["r4"]["bytes_sent"] == 0
    assert r["r2"]["sha256"] == sha1 and r["r4"]["previous_state"] == "same"
    assert r["r2"]["udf_path"] == "/buckets/%s/%s/%s" % (bfs["service"], bfs["bucket"], path)
    assert r["r2"]["url"] == "%s/%s/%s" % (bfs["https_url"], bfs["bucket"], path)
    assert r["r5"]["previous_state"] == "different" and r["r5"]["bytes_sent"] == 300001
    assert not os.path.exists(host_file(bfs, path))
    assert bfs["write_password"] not in proc.stdout


def plain_or_tls(bfs):
    """The plain HTTP URL where the generation has one (6.x/7.x), else HTTPS (2025.x: HTTPS only)."""
    return bfs.get("http_url") or bfs["https_url"]


def test_file_readable_and_on_host(bfs, prefix, tmp_path):
    path = prefix + "/settings.cfg"
    proc, r = play(
        tmp_path,
        [upload("upload text", "r1", path=path, content="A=1\nB=2\n")],
        dict(url=plain_or_tls(bfs), password=bfs["write_password"], ca_cert=bfs["ca_file"]),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(host_file(bfs, path), "rb") as handle:
        assert handle.read() == b"A=1\nB=2\n"
    request = urllib.request.Request("%s/%s/%s" % (bfs["https_url"], bfs["bucket"], path))
    token = ("r:%s" % bfs["read_password"]).encode()
    request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
    context = ssl.create_default_context(cafile=bfs["ca_file"])
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        assert response.read() == b"A=1\nB=2\n"


def set_faults(bfs, count, status=500, methods=None):
    body = json.dumps({"count": count, "status": status, "methods": methods}).encode()
    request = urllib.request.Request(bfs["lab_endpoint"] + "faults", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10, context=bucketfs_context(bfs)) as response:
        return json.loads(response.read())


def test_bad_input(lab, bfs, prefix, tmp_path):
    src = tmp_path / "a.jar"
    src.write_bytes(b"PK\x03\x04 small")
    tasks = [
        upload(
            "wrong password",
            "wrong",
            ignore_errors=True,
            path=prefix + "/a.jar",
            src=str(src),
            password="not-the-password",
        ),
        upload("missing src", "missing", ignore_errors=True, path=prefix + "/b.jar", src=str(tmp_path / "nope.jar")),
        upload(
            "BucketFS down",
            "down",
            ignore_errors=True,
            path=prefix + "/c.jar",
            src=str(src),
            url="http://127.0.0.1:9",
            retries=1,
        ),
        upload(
            "wrong CA", "bad_ca", ignore_errors=True, path=prefix + "/d.jar", src=str(src), ca_cert="{{ wrong_ca }}"
        ),
    ]
    proc, r = play(
        tmp_path,
        tasks,
        dict(
            url=bfs["https_url"],
            password=bfs["write_password"],
            ca_cert=bfs["ca_file"],
            wrong_ca=lab["ca"]["wrong_ca_file"],
        ),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert r["wrong"]["failed"] and "wrong" in r["wrong"]["msg"] and r["wrong"]["status"] in (401, 403)
    assert r["missing"]["failed"] and "nope.jar does not exist" in r["missing"]["msg"]
    assert r["down"]["failed"] and "gave up after 2 attempts" in r["down"]["msg"]
    assert r["bad_ca"]["failed"] and "TLS failed" in r["bad_ca"]["msg"]
    assert "not-the-password" not in proc.stdout
    assert not os.path.exists(host_file(bfs, prefix))


def fault_task(count, status=500):
    """A play task that asks the emulator to answer the next `count` PUTs with `status` (lab-only knob)."""
    return {
        "name": "lab: next %d PUTs answer %d" % (count, status),
        "ansible.builtin.uri": {
            "url": "{{ lab_endpoint }}faults",
            "method": "POST",
            "body_format": "json",
            "ca_path": "{{ ca_cert }}",
            "body": {"count": count, "status": status, "methods": ["PUT"]},
        },
    }


def test_500_is_retried_then_clear_error(bfs, prefix, tmp_path):
    """The emulator answers PUTs with 5xx: the module retries, then fails clearly, leaving nothing."""
    src = tmp_path / "a.jar"
    src.write_bytes(os.urandom(1000))
    tasks = [
        fault_task(2),
        upload("PUT fails twice, then works", "retried", path=prefix + "/a.jar", src=str(src), retries=2),
        fault_task(3, 503),
        upload("PUT keeps failing", "failed", ignore_errors=True, path=prefix + "/b.jar", src=str(src), retries=2),
    ]
    try:
        proc, r = play(
            tmp_path,
            tasks,
            dict(
                url=plain_or_tls(bfs),
                password=bfs["write_password"],
                ca_cert=bfs["ca_file"],
                lab_endpoint=bfs["lab_endpoint"],
            ),
        )
    finally:
        assert set_faults(bfs, 0)["count"] == 0
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert r["retried"]["changed"] and os.path.exists(host_file(bfs, prefix + "/a.jar"))
    assert r["failed"]["failed"] and "gave up after 3 attempts: BucketFS answered 503" in r["failed"]["msg"]
    assert not os.path.exists(host_file(bfs, prefix + "/b.jar"))


def test_large_file_sidecar_rerun_downloads_nothing(bfs, prefix, tmp_path):
    """compare=auto on a 70 MiB file: the sidecar is written, published with the file, and decides the rerun."""
    src = tmp_path / "slc.tar.gz"
    src.write_bytes(os.urandom(70 * 1024 * 1024))
    path = prefix + "/slc.tar.gz"
    tasks = [
        upload("upload", "r1", path=path, src=str(src)),
        upload("rerun, check mode", "r2", check=True, path=path, src=str(src)),
        upload("rerun", "r3", path=path, src=str(src)),
        upload("rerun by content", "r4", path=path, src=str(src), compare="content"),
    ]
    proc, r = play(tmp_path, tasks, dict(url=bfs["https_url"], password=bfs["write_password"], ca_cert=bfs["ca_file"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert r["r1"]["changed"] and r["r1"]["previous_state"] == "absent" and r["r1"]["sha256"] == digest
    with open(host_file(bfs, path + ".sha256")) as handle:
        assert handle.read() == "%s  slc.tar.gz\n" % digest
    for key in ("r2", "r3"):
        assert not r[key]["changed"] and r[key]["compared_by"] == "sidecar" and r[key]["bytes_sent"] == 0
    assert not r["r4"]["changed"] and r["r4"]["compared_by"] == "content"
    proc, r = play(
        tmp_path,
        [upload("delete", "d", path=path, state="absent")],
        dict(url=bfs["https_url"], password=bfs["write_password"], ca_cert=bfs["ca_file"]),
    )
    assert proc.returncode == 0 and r["d"]["changed"], proc.stdout
    assert not os.path.exists(host_file(bfs, path)) and not os.path.exists(host_file(bfs, path + ".sha256"))


def test_escaping_path_refused(bfs, prefix, tmp_path):
    tasks = [upload("escaping path", "escape", ignore_errors=True, path=prefix + "/../../outside.txt", content="x")]
    proc, r = play(tmp_path, tasks, dict(url=bfs["https_url"], password=bfs["write_password"], ca_cert=bfs["ca_file"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert r["escape"]["failed"] and "must stay inside its bucket" in r["escape"]["msg"]
    assert not os.path.exists(os.path.join(bfs["host_dir"], bfs["service"], ".dest", "outside.txt"))


@pytest.mark.exasol7  # 2025.x BucketFS answers HTTPS only
def test_plain_http_warns(bfs, prefix, tmp_path):
    tasks = [
        upload("plain http", "plain", path=prefix + "/plain.txt", content="x", url="{{ http_url }}"),
        upload("clean up", "gone", path=prefix + "/plain.txt", state="absent"),
    ]
    proc, r = play(
        tmp_path,
        tasks,
        dict(url=bfs["https_url"], http_url=bfs["http_url"], password=bfs["write_password"], ca_cert=bfs["ca_file"]),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is plain http" in proc.stdout + proc.stderr  # Ansible shows the module's warning
    assert r["plain"]["changed"] and r["gone"]["changed"]
