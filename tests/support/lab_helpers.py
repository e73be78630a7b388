"""Helpers the tests share: ansible-playbook from this checkout, the lab's BucketFS, the node
truststores each Exasol JVM reads. Imported as `lab_helpers` (pytest.ini puts tests/support on the
path); tests/conftest.py holds the fixtures."""

import base64
import contextlib
import json
import os
import ssl
import subprocess
import sys
import urllib.request

from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import BucketFSClient
from module_runner import run_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_STATE = os.environ.get("LAB_STATE_DIR", os.path.join(ROOT, "tests", "lab", "state"))
RDS_BUNDLE_DIR = os.environ.get("RDS_BUNDLE_DIR", os.path.join(os.path.dirname(ROOT), "shared", "data", "rds"))


def run_playbook(playbook, *args, extra_vars=None, check=False, env=None):
    """ansible-playbook from this checkout; returns the CompletedProcess (text)."""
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd += ["--check", "--diff"]
    cmd += list(args)
    full_env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    full_env.update(env or {})
    return subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, check=False)


def bucketfs_context(bfs):
    """TLS context trusting the lab BucketFS certificate (for https_url; 2025.x has no http_url)."""
    return ssl.create_default_context(cafile=bfs["ca_file"])


def bucketfs_request(lab, method, path, data=None):
    """PUT / DELETE a file of the lab's default bucket as user w; returns its UDF path."""
    bfs = lab["bucketfs"]
    base = bfs.get("http_url") or bfs["https_url"]
    request = urllib.request.Request("%s/%s/%s" % (base.rstrip("/"), bfs["bucket"], path), data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(("w:%s" % bfs["write_password"]).encode()).decode())
    with urllib.request.urlopen(request, timeout=30, context=bucketfs_context(bfs)) as reply:
        assert reply.status in (200, 204)
    return "/buckets/%s/%s/%s" % (bfs["service"], bfs["bucket"], path)


def bucketfs_wait_synced(bfs):
    """Until the lab BucketFS has published every queued upload and delete (its /.lab/wait-synced)."""
    with urllib.request.urlopen(
        bfs["lab_endpoint"] + "wait-synced", timeout=40, context=bucketfs_context(bfs)
    ) as reply:
        assert json.load(reply)["synced"]


# node truststores each Exasol JVM reads (issue 12) ------------------------------------------------
# Every data node has two JVMs that need the RDS CA: the adapter (a Java UDF in the node's
# script-language container; lab.json `nodes[].adapter_truststores`, resolved inside the container:
# `slc_truststores_resolved`) and ExaLoader (IMPORT FROM JDBC behind every SELECT on a virtual table;
# `nodes[].loader_truststore`). `node_stores()` puts the lab CA into or out of exactly the stores a
# test names, on every node or on some, with virtualis.aurora.rds_truststore (as a user would), and
# gives every file back byte for byte afterwards.

KINDS = ("loader", "adapter")


def store_files(lab, kind, names=None):
    """[(node name, node path, host file)] of one JVM's stores, for every node (or `names`)."""
    found = []
    for node in lab["nodes"]:
        if names is not None and node["name"] not in names:
            continue
        if kind == "loader":
            pairs = [(node["loader_truststore"], node["loader_truststore"])]
        else:
            pairs = list(zip(node["adapter_truststores"], node["slc_truststores_resolved"]))
        for path, resolved in pairs:
            found.append((node["name"], path, os.path.join(node["root"], resolved.lstrip("/"))))
    return found


def set_lab_ca(lab, tmp, files, present):
    """Add (or remove) the lab bundle's certificates in these host files, one module run."""
    if not files:
        return
    result = run_module(
        "rds_truststore",
        tmp,
        src=lab["ca"]["bundle_file"],
        truststores=sorted(set(files)),
        state="present" if present else "absent",
        store_password=lab["nodes"][0]["store_password"],
        cache_dir=os.path.join(str(tmp), "rds-cache"),
    )
    assert not result.get("failed"), result


_VARIANTS = {}  # host file -> {"original": bytes, True: with the lab CA, False: without}


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _write(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def store_variants(lab, tmp, hosts):
    """Each store with and without the lab CA, made once by rds_truststore (two runs for all
    stores) and then only copied: a PKCS12 store costs a keytool JVM per run."""
    todo = [h for h in hosts if h not in _VARIANTS or _read(h) not in _VARIANTS[h].values()]
    if not todo:
        return
    originals = {h: _read(h) for h in todo}
    try:
        set_lab_ca(lab, tmp, todo, present=False)
        without = {h: _read(h) for h in todo}
        set_lab_ca(lab, tmp, todo, present=True)
        for h in todo:
            _VARIANTS[h] = {"original": originals[h], False: without[h], True: _read(h)}
    finally:
        for h, data in originals.items():
            _write(h, data)


@contextlib.contextmanager
def node_stores(lab, tmp, loader=True, adapter=True, missing=()):
    """The lab CA in (True) or out of (False) every node's loader / adapter stores for the block.

    `missing` = [(node name, kind)] whose store lacks the CA whatever the flags say.
    Afterwards every store file holds exactly the bytes it held before.
    """
    wanted = {"loader": loader, "adapter": adapter}
    every = [entry for kind in KINDS for entry in store_files(lab, kind)]
    saved = {host: _read(host) for _name, _path, host in every}
    try:
        store_variants(lab, tmp, list(saved))
        for kind in KINDS:
            for name, _path, host in store_files(lab, kind):
                _write(host, _VARIANTS[host][bool(wanted[kind] and (name, kind) not in missing)])
        yield
    finally:
        for host, data in saved.items():
            _write(host, data)


def tagged_bucket(lab, tag):
    """Body of a `bucket` fixture: the lab's BucketFS client (write user), then every file whose path
    holds `tag` deleted, whatever the test left behind."""
    bfs = lab["bucketfs"]
    client = BucketFSClient(
        bfs["https_url"], bfs["bucket"], "w", bfs["write_password"], ca_cert=bfs["ca_file"], service=bfs["service"]
    )
    yield client
    for path in sorted(client.list()):
        if tag in path:
            client.delete(path)
