"""exasol_bucketfs_upload: the sidecar checksum (compare), path refusals and the plain-http warning.

The module runs as Ansible runs it (a child process with JSON args) against the fake BucketFS.
"""

import hashlib
import os

import pytest

from fake_bucketfs import fake_bucketfs
from module_runner import run_module as run_any

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

fake = fake_bucketfs  # the shared fixture, under the name these tests ask for


def run_module(tmp_path, check=False, diff=True, **args):
    return run_any("exasol_bucketfs_upload", tmp_path, check=check, diff=diff, **dict(dict(retries=1), **args))


def sha(data):
    return hashlib.sha256(data).hexdigest()


def source(tmp_path, data, name="slc.tar.gz"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def methods(fake, since=0):
    return [(method, path) for method, path, _body in fake.requests[since:]]


def test_sidecar_written_on_upload_and_rerun_downloads_nothing(fake, tmp_path):
    data = os.urandom(32 * 1024 * 1024)
    src = source(tmp_path, data)
    args = dict(url=fake.url, password="wpw", path="slc/slc.tar.gz", src=src, compare="sidecar")
    first = run_module(tmp_path, **args)
    assert first["changed"] and first["previous_state"] == "absent" and first["bytes_sent"] == len(data)
    assert open(fake.file("slc/slc.tar.gz.sha256")).read() == "%s  slc.tar.gz\n" % sha(data)
    before = len(fake.requests)
    sent_before = fake.body_bytes_sent
    for check in (True, False):
        again = run_module(tmp_path, check=check, **args)
        assert not again["changed"] and again["bytes_sent"] == 0
        assert again["previous_state"] == "same" and again["compared_by"] == "sidecar"
        assert again["sha256"] == sha(data) and again["diff"]["before"]["sha256"] == sha(data)
    assert all(method == "GET" for method, _path in methods(fake, before))
    # the file's GET is closed after its headers: far less than one copy of it crossed the wire
    assert fake.body_bytes_sent - sent_before < len(data) // 2


def test_sidecar_sees_a_new_local_file_without_downloading(fake, tmp_path):
    old, new = os.urandom(5000), os.urandom(5000)
    args = dict(url=fake.url, password="wpw", path="slc/a.tgz", compare="sidecar")
    run_module(tmp_path, src=source(tmp_path, old, "old"), **args)
    check = run_module(tmp_path, check=True, src=source(tmp_path, new, "new"), **args)
    assert check["changed"] and check["previous_state"] == "different" and check["compared_by"] == "sidecar"
    assert check["diff"]["before"]["sha256"] == sha(old) and check["diff"]["after"]["sha256"] == sha(new)
    assert open(fake.file("slc/a.tgz"), "rb").read() == old  # check mode wrote nothing
    real = run_module(tmp_path, src=source(tmp_path, new, "new"), **args)
    assert real["changed"] and real["bytes_sent"] == 5000
    assert open(fake.file("slc/a.tgz"), "rb").read() == new
    assert open(fake.file("slc/a.tgz.sha256")).read().split()[0] == sha(new)


def test_sidecar_notices_size_change_and_deleted_file(fake, tmp_path):
    data = os.urandom(5000)
    src = source(tmp_path, data)
    args = dict(url=fake.url, password="wpw", path="slc/a.tgz", src=src, compare="sidecar")
    run_module(tmp_path, **args)
    fake.put("slc/a.tgz", data + b"x")  # another tool, another size, sidecar untouched
    result = run_module(tmp_path, **args)
    assert result["changed"] and result["previous_state"] == "different"
    assert open(fake.file("slc/a.tgz"), "rb").read() == data
    os.unlink(fake.file("slc/a.tgz"))  # deleted behind our back, the sidecar stays
    result = run_module(tmp_path, **args)
    assert result["changed"] and result["previous_state"] == "absent"
    assert open(fake.file("slc/a.tgz"), "rb").read() == data


def test_sidecar_trade_off_same_size_replacement_is_not_seen(fake, tmp_path):
    """The documented limit: same size, sidecar untouched -> the sidecar is believed; content mode repairs."""
    data = os.urandom(5000)
    src = source(tmp_path, data)
    args = dict(url=fake.url, password="wpw", path="slc/a.tgz", src=src)
    run_module(tmp_path, compare="sidecar", **args)
    fake.put("slc/a.tgz", os.urandom(5000))
    assert not run_module(tmp_path, compare="sidecar", **args)["changed"]
    repaired = run_module(tmp_path, compare="content", **args)
    assert repaired["changed"] and repaired["previous_state"] == "different" and repaired["compared_by"] == "content"
    assert open(fake.file("slc/a.tgz"), "rb").read() == data


def test_missing_or_foreign_sidecar_falls_back_to_content_then_is_written(fake, tmp_path):
    data = os.urandom(5000)
    fake.put("slc/a.tgz", data)  # uploaded by 0.1.0 or another tool: no sidecar
    args = dict(url=fake.url, password="wpw", path="slc/a.tgz", src=source(tmp_path, data), compare="sidecar")
    check = run_module(tmp_path, check=True, **args)
    assert check["changed"] and check["previous_state"] == "same" and check["compared_by"] == "content"
    assert not os.path.exists(fake.file("slc/a.tgz.sha256"))
    real = run_module(tmp_path, **args)
    assert real["changed"] and real["bytes_sent"] == 0  # only the sidecar was written
    assert open(fake.file("slc/a.tgz.sha256")).read() == "%s  a.tgz\n" % sha(data)
    assert not run_module(tmp_path, **args)["changed"]
    fake.put("slc/a.tgz.sha256", b"not a checksum\n")
    assert run_module(tmp_path, **args)["compared_by"] == "content"


def test_content_mode_keeps_an_existing_sidecar_true(fake, tmp_path):
    old, new = os.urandom(4000), os.urandom(4000)
    args = dict(url=fake.url, password="wpw", path="slc/a.tgz")
    run_module(tmp_path, src=source(tmp_path, old, "old"), compare="sidecar", **args)
    result = run_module(tmp_path, src=source(tmp_path, new, "new"), compare="content", **args)
    assert result["changed"] and result["compared_by"] == "content"
    assert open(fake.file("slc/a.tgz.sha256")).read().split()[0] == sha(new)
    # back to the old file with the sidecar: it must not claim the old content is there
    back = run_module(tmp_path, src=source(tmp_path, old, "old"), compare="sidecar", **args)
    assert back["changed"] and back["previous_state"] == "different"
    assert open(fake.file("slc/a.tgz"), "rb").read() == old


def test_auto_is_content_for_small_files_without_a_sidecar(fake, tmp_path):
    args = dict(url=fake.url, password="wpw", path="jars/d.jar", src=source(tmp_path, os.urandom(3000)))
    assert run_module(tmp_path, **args)["changed"]
    assert fake.listing() == ["jars/d.jar"]
    again = run_module(tmp_path, **args)
    assert not again["changed"] and again["compared_by"] == "content"


def test_auto_keeps_a_sidecar_from_64_mib_on(fake, tmp_path):
    path = tmp_path / "sparse.img"
    with open(str(path), "wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: quick to make, 64 MiB of zeros to read
    args = dict(url=fake.url, password="wpw", path="slc/sparse.img", src=str(path), wait_visible=False)
    assert run_module(tmp_path, **args)["changed"]
    assert fake.listing() == ["slc/sparse.img", "slc/sparse.img.sha256"]
    assert run_module(tmp_path, **args)["compared_by"] == "sidecar"


def test_checksum_and_force_with_sidecar(fake, tmp_path):
    data = os.urandom(3000)
    args = dict(
        url=fake.url,
        password="wpw",
        path="slc/a.tgz",
        src=source(tmp_path, data),
        compare="sidecar",
        checksum="sha256:" + sha(data).upper(),
    )
    forced = run_module(tmp_path, force=True, **args)
    assert forced["changed"] and forced["previous_state"] == "unknown" and forced["compared_by"] == "none"
    assert forced["sha256"] == sha(data)
    assert open(fake.file("slc/a.tgz.sha256")).read().split()[0] == sha(data)
    assert not run_module(tmp_path, **args)["changed"]


def test_absent_removes_the_sidecar_too(fake, tmp_path):
    args = dict(url=fake.url, password="wpw", path="slc/a.tgz")
    run_module(tmp_path, src=source(tmp_path, b"x" * 100), compare="sidecar", **args)
    assert fake.listing() == ["slc/a.tgz", "slc/a.tgz.sha256"]
    assert run_module(tmp_path, check=True, state="absent", **args)["changed"]
    assert len(fake.listing()) == 2
    assert run_module(tmp_path, state="absent", **args)["changed"]
    assert fake.listing() == []
    assert not run_module(tmp_path, state="absent", **args)["changed"]


@pytest.mark.parametrize(
    "path",
    [
        "../x.jar",
        "jars/../../x.jar",
        "jars/./a.jar",
        "jars//a.jar",
        "jars/%2e%2e/a",
        "/../etc/passwd",
        "jars/a%2f..%2fb",
    ],
)
def test_escaping_paths_are_refused_before_any_request(fake, tmp_path, path):
    for state in ("present", "absent"):
        result = run_module(tmp_path, url=fake.url, password="wpw", path=path, content="x", state=state)
        assert result["failed"] and "must stay inside its bucket" in result["msg"], result
    assert fake.requests == []


def test_plain_http_warns_https_does_not(fake, tmp_path):
    result = run_module(tmp_path, url=fake.url, password="wpw", path="a.txt", content="x")
    # ansible-core 2.19+ returns warnings as structured events, older ones as strings
    assert any("is plain http" in str(w) and "unencrypted" in str(w) for w in result["warnings"]), result
    assert "wpw" not in str(result["warnings"])
    failed = run_module(tmp_path, url="https://127.0.0.1:1", password="wpw", path="a.txt", content="x", retries=0)
    assert failed["failed"] and not failed.get("warnings")
