"""exasol_virtual_schema's bucketfs trust mode gets the RDS bundle through rds_ca_bundle (issue 11 item 14).

Run against a loopback HTTP server that serves the bundle and the unit tests' fake BucketFS: a
corrupted bundle (one character of a signature changed) is refused before any store is built or
uploaded - 0.1.0 downloaded it with get_url, checked no signature, and uploaded a truststore made
from it; and when the served bundle changes, the next run uploads a store with the new
certificates (0.1.0 did too here, through get_url's If-Modified-Since request, which this server
ignores; it is kept as the behaviour the content-addressed cache must not break).
Local connection, no lab.
"""

import http.server
import json
import os
import sys

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import Store
from fake_bucketfs import FakeBucketFS
from lab_helpers import run_playbook
from loopback import LoopbackServer
from truststores import bundle

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

HERE = os.path.dirname(os.path.abspath(__file__))


FIXTURES = os.path.join(HERE, "fixtures")
REGIONAL = os.path.join(FIXTURES, "rds", "eu-central-1-bundle.pem")
GLOBAL = os.path.join(FIXTURES, "rds", "global-bundle.pem")
CORRUPTED = os.path.join(FIXTURES, "bundle_eu-central-1_corrupted_signature.pem")
STORE_PATH = "truststores/rds-ca-bundle.jks"


class MutableBundleServer(LoopbackServer):
    """Serves whatever `self.body` is at any path."""

    def __init__(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                self.send_response(200)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.body = b""
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.start_thread()
        self.url = "http://127.0.0.1:%d/global/global-bundle.pem" % self.port

    def serve(self, path):
        with open(path, "rb") as handle:
            self.body = handle.read()


@pytest.fixture
def servers(tmp_path):
    with MutableBundleServer() as web, FakeBucketFS(str(tmp_path / "bucket")) as bucketfs:
        yield web, bucketfs


def play(tmp_path, web, bucketfs):
    playbook = tmp_path / "truststore.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "ansible.builtin.include_role": {
                                "name": "virtualis.aurora.exasol_virtual_schema",
                                "tasks_from": "truststore",
                            }
                        }
                    ],
                }
            ]
        )
    )
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                    }
                }
            }
        )
    )
    return run_playbook(
        str(playbook),
        "-i",
        str(inventory),
        extra_vars={
            "exasol_virtual_schema_bundle_url": web.url,
            "exasol_virtual_schema_truststore_cache_dir": str(tmp_path / "cache"),
            "exasol_virtual_schema_bucketfs_url": bucketfs.url,
            "exasol_virtual_schema_bucketfs_password": "wpw",
            "exasol_virtual_schema_bucketfs_validate_certs": False,
        },
    )


def uploaded(bucketfs, tmp_path):
    """Fingerprints of the truststore that reached BucketFS."""
    copy = tmp_path / "uploaded.jks"
    with open(bucketfs.file(STORE_PATH), "rb") as handle:
        copy.write_bytes(handle.read())
    return sorted(e.sha256 for e in Store(str(copy), "jks", "changeit").load().entries)


def test_a_changed_bundle_reaches_bucketfs(tmp_path, servers):
    web, bucketfs = servers
    web.serve(REGIONAL)
    first = play(tmp_path, web, bucketfs)
    assert first.returncode == 0, first.stdout[-3000:]
    assert uploaded(bucketfs, tmp_path) == sorted(c.sha256 for c in bundle(REGIONAL))
    web.serve(GLOBAL)  # AWS published a new bundle at the same URL
    second = play(tmp_path, web, bucketfs)
    assert second.returncode == 0, second.stdout[-3000:]
    assert uploaded(bucketfs, tmp_path) == sorted(c.sha256 for c in bundle(GLOBAL))


def test_a_corrupted_bundle_builds_no_store(tmp_path, servers):
    web, bucketfs = servers
    web.serve(CORRUPTED)
    result = play(tmp_path, web, bucketfs)
    assert result.returncode != 0
    assert "signature does not verify" in result.stdout, result.stdout[-3000:]
    assert not os.path.exists(bucketfs.file(STORE_PATH))
    assert not [p for p in os.listdir(str(tmp_path / "cache")) if p.endswith(".jks")]
