"""rds_ca_bundle action plugin, in-process: real Amazon bundles from tests/unit/fixtures/rds and
bundle_eu-central-1_corrupted_signature.pem (never skipped), a corrupted signature refused, expired certificates reported, checksum, the
content-addressed cache (changed once, then not; check mode writes nothing), and downloads from a
loopback HTTP server."""

import datetime
import hashlib
import http.server
import os
import stat
from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.play_context import PlayContext

from ansible_collections.virtualis.aurora.plugins.action import rds_ca_bundle as plugin
from loopback import LoopbackServer

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures")
EU = os.path.join(FIXTURES, "rds", "eu-central-1-bundle.pem")
EU_SHA256 = "56a0cae044b6cc433971d964347401692a92ea0294e392753a3ebdaee54d8b84"
GLOBAL = os.path.join(FIXTURES, "rds", "global-bundle.pem")
COMBINED = os.path.join(FIXTURES, "rds", "rds-combined-ca-bundle.pem")
CORRUPTED = os.path.join(FIXTURES, "bundle_eu-central-1_corrupted_signature.pem")


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def blocks(path):
    text = read(path).decode()
    return ["-----BEGIN" + part for part in text.split("-----BEGIN")[1:]]


# verify(): what a bundle must be ------------------------------------------------------------------
def test_real_regional_bundle_verifies():
    summary = plugin.verify(read(EU), EU, "sha256:" + EU_SHA256)
    assert summary["certificates"] == 3 and summary["sha256"] == EU_SHA256
    assert summary["key_types"] == {"EC 384": 1, "RSA 2048": 1, "RSA 4096": 1}
    assert summary["expired"] == [] and summary["not_ca"] == []


def test_real_global_bundle_verifies():
    summary = plugin.verify(
        read(GLOBAL), GLOBAL, "sha256:afb8f45125236bef4e9a005d9e34d8109a787c9f125587aa0a149b18c47c42e1"
    )
    assert summary["certificates"] == 108 and summary["key_types"] == {"EC 384": 36, "RSA 2048": 36, "RSA 4096": 36}
    assert summary["expired"] == [] and summary["not_ca"] == []


def test_one_changed_character_in_a_signature_is_refused():
    with pytest.raises(
        plugin.BundleError,
        match=r"certificate #2 'Amazon RDS eu-central-1 Root CA RSA2048 G1': "
        r"its signature does not verify .*corrupted or forged",
    ):
        plugin.verify(read(CORRUPTED), CORRUPTED)


def test_roots_and_intermediates_verify_and_expired_ones_are_listed():
    summary = plugin.verify(read(COMBINED), COMBINED)
    assert summary["certificates"] == 30 and len(summary["expired"]) == 30
    assert "'Amazon RDS Root 2019 CA'" in [c["name"] for c in summary["expired"]]
    before_expiry = datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)
    assert plugin.verify(read(COMBINED), COMBINED, now=before_expiry)["expired"] == []


def test_certificates_expiring_within_the_warning_window_are_listed():
    """Issue 14 item 7: what expires within expiry_warning_days is listed before it has expired."""
    first = min(plugin.verify(read(COMBINED), COMBINED)["expired"], key=lambda c: c["not_after"])
    ends = datetime.datetime.strptime(first["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    month_before = ends - datetime.timedelta(days=30)
    summary = plugin.verify(read(COMBINED), COMBINED, now=month_before, expiry_warning_days=90)
    assert first["sha256"] in [c["sha256"] for c in summary["expiring"]]
    assert first["sha256"] not in [c["sha256"] for c in summary["expired"]]
    assert plugin.verify(read(COMBINED), COMBINED, now=month_before, expiry_warning_days=0)["expiring"] == []
    assert plugin.verify(read(GLOBAL), GLOBAL)["expiring"] == []  # the G1 roots run to 2061 and later


def test_an_intermediate_without_its_root_is_refused():
    intermediate = [b for b in blocks(COMBINED) if "Root" not in b][:1]
    data = "".join(intermediate).encode()
    summary_error = r"certificate #1 .*: its issuer .* is not in the bundle"
    with pytest.raises(plugin.BundleError, match=summary_error):
        plugin.verify(data, "x.pem")


@pytest.mark.parametrize(
    "checksum,error",
    [
        ("sha256:" + "0" * 64, "checksum mismatch: sha256 is %s, expected 000" % EU_SHA256),
        ("md5:0123", r"checksum must be sha256:<64 hex digits>"),
        (EU_SHA256[:-1], r"checksum must be sha256:<64 hex digits>"),
    ],
)
def test_checksum_is_enforced(checksum, error):
    with pytest.raises(plugin.BundleError, match=error):
        plugin.verify(read(EU), EU, checksum)


def test_bare_and_upper_case_checksums_are_accepted():
    assert plugin.verify(read(EU), EU, EU_SHA256.upper())["sha256"] == EU_SHA256


@pytest.mark.parametrize(
    "data,error",
    [
        (b"", r"holds no PEM certificate"),
        (b"<html>Access denied</html>", r"holds no PEM certificate"),
        (
            b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
            r"block #1 is a PRIVATE KEY, not a CERTIFICATE",
        ),
        (b"-----BEGIN CERTIFICATE-----\nMIIB\n", r"certificate #1 has no matching END CERTIFICATE line"),
        (
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END X509 CRL-----\n",
            r"certificate #1 has no matching END CERTIFICATE",
        ),
        (b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", r"certificate #1 does not parse"),
    ],
)
def test_anything_but_certificates_is_refused(data, error):
    with pytest.raises(plugin.BundleError, match=error):
        plugin.verify(data, "x.pem")


def test_a_block_without_end_does_not_swallow_the_next_one():
    first, second = blocks(EU)[:2]
    data = (first.replace("-----END CERTIFICATE-----", "") + second).encode()
    with pytest.raises(plugin.BundleError, match=r"certificate #1 has no matching END CERTIFICATE line"):
        plugin.verify(data, "x.pem")


# the action: cache, changed, check mode -----------------------------------------------------------
def action(check_mode=False, **args):
    task = mock.MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    task.action = "virtualis.aurora.rds_ca_bundle"
    connection = mock.MagicMock()
    connection._shell.tmpdir = None
    return plugin.ActionModule(
        task, connection, PlayContext(), loader=mock.MagicMock(), templar=None, shared_loader_obj=None
    )


def run(check_mode=False, **args):
    return action(check_mode, **args).run(task_vars={})


def test_cache_file_is_named_by_content_written_once_and_private(tmp_path):
    cache = tmp_path / "cache"
    first = run(src=EU, cache_dir=str(cache))
    assert first["changed"] and first["cached"] and first["certificates"] == 3
    assert first["path"] == str(cache / ("rds-ca-bundle-%s.pem" % EU_SHA256))
    assert read(first["path"]) == read(EU) and first["content"] == read(EU).decode()
    assert stat.S_IMODE(os.stat(str(cache)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(first["path"]).st_mode) == 0o600
    second = run(src=EU, cache_dir=str(cache))
    assert not second["changed"] and second["path"] == first["path"]
    assert sorted(os.listdir(str(cache))) == [os.path.basename(first["path"])]  # no temporary left


def test_a_changed_bundle_gets_a_new_path(tmp_path):
    cache = str(tmp_path / "cache")
    regional = run(src=EU, cache_dir=cache)
    combined = run(src=COMBINED, cache_dir=cache)
    assert combined["changed"] and combined["path"] != regional["path"]
    assert hashlib.sha256(read(combined["path"])).hexdigest() in combined["path"]


def test_a_tampered_cache_file_is_replaced(tmp_path):
    cache = tmp_path / "cache"
    path = run(src=EU, cache_dir=str(cache))["path"]
    with open(path, "ab") as handle:
        handle.write(b"-----BEGIN CERTIFICATE-----\nforged\n-----END CERTIFICATE-----\n")
    again = run(src=EU, cache_dir=str(cache))
    assert again["changed"] and read(path) == read(EU)


def test_check_mode_verifies_but_writes_nothing(tmp_path):
    cache = tmp_path / "cache"
    checked = run(True, src=EU, cache_dir=str(cache))
    assert checked["changed"] and not checked["cached"] and checked["content"] == read(EU).decode()
    assert not cache.exists()
    run(src=EU, cache_dir=str(cache))
    assert not run(True, src=EU, cache_dir=str(cache))["changed"]


def test_check_mode_refuses_a_corrupted_bundle_too(tmp_path):
    with pytest.raises(AnsibleActionFail, match="signature does not verify"):
        run(True, src=CORRUPTED, cache_dir=str(tmp_path / "cache"))


def test_refused_bundle_writes_nothing(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(AnsibleActionFail, match="signature does not verify"):
        run(src=CORRUPTED, cache_dir=str(cache))
    assert not cache.exists()


def test_cache_dir_mode_is_tightened_and_a_symlinked_one_refused(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    os.chmod(str(cache), 0o777)
    run(src=EU, cache_dir=str(cache))
    assert stat.S_IMODE(os.stat(str(cache)).st_mode) == 0o700
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(AnsibleActionFail, match="symlink or not owned by the running user"):
        run(src=EU, cache_dir=str(link))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the directory to another user")
def test_cache_dir_of_another_user_is_refused(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(str(cache), 65534, 65534)
    with pytest.raises(AnsibleActionFail, match="not owned by the running user"):
        run(src=EU, cache_dir=str(cache))
    assert os.listdir(str(cache)) == []


def test_a_relative_src_is_looked_up_like_copy_does(tmp_path, monkeypatch):
    act = action(src="global-bundle.pem", cache_dir=str(tmp_path))
    looked_up = []
    monkeypatch.setattr(act, "_find_needle", lambda kind, name: looked_up.append((kind, name)) or GLOBAL)
    assert act.run(task_vars={})["certificates"] == 108
    assert looked_up == [("files", "global-bundle.pem")]


def test_expired_certificates_are_a_warning_not_a_failure(tmp_path):
    result = run(src=COMBINED, cache_dir=str(tmp_path))
    assert len(result["expired"]) == 30
    assert result["warnings"][0].startswith("rds_ca_bundle: 30 of 30 certificates in %s have expired" % COMBINED)


def test_url_and_src_are_mutually_exclusive(tmp_path):
    with pytest.raises(AnsibleActionFail, match="mutually exclusive"):
        run(src=EU, url="https://example.invalid/b.pem", cache_dir=str(tmp_path))


def test_missing_cryptography_is_reported_as_a_missing_library(tmp_path, monkeypatch):
    monkeypatch.setattr(plugin, "CRYPTOGRAPHY_ERROR", "Traceback: No module named 'cryptography'")
    with pytest.raises(AnsibleActionFail, match=r"Failed to import the required Python library \(cryptography\)"):
        run(src=EU, cache_dir=str(tmp_path))


# downloads ----------------------------------------------------------------------------------------
class BundleServer(LoopbackServer):
    """Serves /bundle.pem on 127.0.0.1; any other path is a 404."""

    def __init__(self, body):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                if self.path != "/bundle.pem":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.start_thread()
        self.url = "http://127.0.0.1:%d" % self.port


def test_download_with_checksum(tmp_path):
    with BundleServer(read(EU)) as server:
        result = run(url=server.url + "/bundle.pem", checksum="sha256:" + EU_SHA256, cache_dir=str(tmp_path))
    assert result["source"] == server.url + "/bundle.pem" and result["sha256"] == EU_SHA256
    assert not [w for w in result["warnings"] if "plain http" in w]


def test_plain_http_without_checksum_is_warned_about(tmp_path, monkeypatch):
    warnings = []
    with BundleServer(read(EU)) as server:
        act = action(url=server.url + "/bundle.pem", cache_dir=str(tmp_path))
        monkeypatch.setattr(act._display, "warning", warnings.append)
        act.run(task_vars={})
    assert warnings and "plain http and no checksum is set" in warnings[0]


def test_a_corrupted_download_is_refused_and_not_cached(tmp_path):
    with BundleServer(read(CORRUPTED)) as server, pytest.raises(AnsibleActionFail, match="signature does not verify"):
        run(url=server.url + "/bundle.pem", cache_dir=str(tmp_path / "cache"))
    assert not (tmp_path / "cache").exists()


def test_download_errors_name_the_url(tmp_path):
    with (
        BundleServer(read(EU)) as server,
        pytest.raises(AnsibleActionFail, match=r"Could not download the RDS CA bundle from .*/missing.pem: .*404"),
    ):
        run(url=server.url + "/missing.pem", cache_dir=str(tmp_path))


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.invalid/b.pem", "truststore.pki.rds.amazonaws.com"]
)
def test_only_http_urls(tmp_path, url):
    with pytest.raises(AnsibleActionFail, match="url must be an http:// or https:// URL"):
        run(url=url, cache_dir=str(tmp_path))
