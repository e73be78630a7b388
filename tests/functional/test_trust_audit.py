"""Issue 14 in the strict lab: the trust audit, update drift, and the CA rotation clients-first.

One `site.yml --tags aurora,truststore` run builds the world (cluster in moto, the lab bundle in
every node's stores); the tests then run in file order on it:

- healthy lab: trust_audit.yml exits 0, one line per node and store, report on the controller;
- an emulated Exasol update (node2's script-language container store replaced by a fresh JDK
  cacerts): the audit fails naming node2 and that store; rotate_ca.yml refuses naming them too,
  and the cluster's CACertificateIdentifier (read back with boto3) is unchanged;
- `site.yml --tags truststore` repairs it; rotate_ca.yml --check changes nothing; rotate_ca.yml
  switches every instance (boto3 reads the target back), the lab serves a certificate under the
  target's root, and a handshake trusting only the target's root succeeds while the old root's fails;
- on 2025.x, a new runtime-<v>-jdk directory (what an update installs) is named as node2's loader store.

The store file is given back byte for byte and the cluster is rotated back to rds-ca-rsa2048-g1.
"""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from conftest import run_playbook, store_files

boto3 = pytest.importorskip("boto3")

SITE = os.path.join(ROOT, "playbooks", "site.yml")
AUDIT = os.path.join(ROOT, "playbooks", "trust_audit.yml")
ROTATE = os.path.join(ROOT, "playbooks", "rotate_ca.yml")
INVENTORY = ["-i", os.path.join(ROOT, "inventory", "lab", "lab_inventory.py")]
DEFAULT_CA, TARGET = "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1"
CLUSTER = "aurora-lab"  # virtualis_deployment of inventory/lab
FRESH_CACERTS = [os.environ.get("LAB_JDK_CACERTS", ""), "/etc/ssl/certs/java/cacerts"]


def said(result):
    """stdout with Ansible's line wrapping undone."""
    return " ".join(result.stdout.split())


def tail(result):
    return "%s\n%s" % (result.stdout[-5000:], result.stderr[-2000:])


def report(lab, name="trust-audit.json"):
    with open(os.path.join(os.path.dirname(lab["ca"]["dir"]), name)) as handle:
        return json.load(handle)


def instances_ca(rds):
    found = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [CLUSTER]}])["DBInstances"]
    assert found, "no instance of %s in moto" % CLUSTER
    return sorted({i["CACertificateIdentifier"] for i in found})


def handshake(lab, cafile):
    """verify-full by hand: SSLRequest, then TLS trusting only `cafile`, host name checked."""
    pg = lab["postgres"]
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((pg["address"], pg["port"]), timeout=10) as sock:
        sock.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")
        assert sock.recv(1) == b"S"
        with context.wrap_socket(sock, server_hostname=pg["host"]) as tls:
            return tls.getpeercert()


@pytest.fixture(scope="module")
def rds(lab):
    aws = lab["aws"]
    return boto3.client(
        "rds",
        endpoint_url=aws["endpoint_url"],
        region_name=aws["region"],
        aws_access_key_id=aws["access_key_id"],
        aws_secret_access_key=aws["secret_access_key"],
    )


@pytest.fixture(scope="module")
def world(lab, rds):
    if not lab["ca"].get("identifiers") or not lab["ca"].get("rotate_command"):
        pytest.fail("lab.json has no G1 CAs: restart the lab with this checkout (`make lab-up`)")
    built = run_playbook(SITE, *INVENTORY, "--tags", "aurora,truststore")
    assert built.returncode == 0, tail(built)
    yield lab
    if instances_ca(rds) != [DEFAULT_CA]:  # back as found, without a third rotation run
        for instance in rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [CLUSTER]}])[
            "DBInstances"
        ]:
            rds.modify_db_instance(
                DBInstanceIdentifier=instance["DBInstanceIdentifier"],
                CACertificateIdentifier=DEFAULT_CA,
                ApplyImmediately=True,
            )
        subprocess.run(lab["ca"]["rotate_command"] + [DEFAULT_CA], check=True, capture_output=True)


@pytest.fixture(scope="module")
def drifted(world):
    """node2's first SLC store as an Exasol update leaves it: a fresh JDK cacerts, without the RDS CA."""
    node, path, host_file = [entry for entry in store_files(world, "adapter") if entry[0] == "node2"][0]
    fresh = [p for p in FRESH_CACERTS if p and os.path.isfile(p)][0]
    with open(host_file, "rb") as handle:
        saved = handle.read()
    shutil.copyfile(fresh, host_file)
    yield {"node": node, "path": path}
    with open(host_file, "wb") as handle:
        handle.write(saved)


def test_healthy_lab_audit_passes(world):
    result = run_playbook(AUDIT, *INVENTORY)
    assert result.returncode == 0, tail(result)
    found = report(world)
    assert found["ok"] and found["failures"] == []
    assert found["cluster"]["source"] == "aws" and found["cluster"]["ca_identifiers"] == [DEFAULT_CA]
    for node in world["nodes"]:
        audited = {s["store"]: s["jvm"] for s in found["stores"] if s["node"] == node["name"]}
        assert audited.get(node["loader_truststore"]) == "loader", (node["name"], audited)
        assert all(audited.get(p) == "adapter" for p in node["adapter_truststores"]), (node["name"], audited)
    assert len(found["lines"]) == len(found["stores"])
    # the audit changes nothing on a node (what Molecule's trust_audit idempotence step proved)
    again = run_playbook(AUDIT, *INVENTORY)
    changed = re.findall(r"^\S+\s*:\s*ok=\d+\s+changed=(\d+)", again.stdout, re.M)
    assert again.returncode == 0 and changed and set(changed) == {"0"}, tail(again)


def test_update_drift_fails_the_audit_naming_node_and_store(world, drifted):
    result = run_playbook(AUDIT, *INVENTORY)
    assert result.returncode != 0, tail(result)
    failures = report(world)["failures"]
    assert failures and all(f.startswith("node2 adapter store %s: " % drifted["path"]) for f in failures), failures
    assert "lacks %s" % DEFAULT_CA in failures[0]
    assert "node2 adapter FAIL %s" % drifted["path"] in said(result)


def test_rotation_refuses_while_a_node_lacks_the_target(world, drifted, rds):
    result = run_playbook(ROTATE, *INVENTORY, extra_vars={"aurora_cluster_ca_certificate_identifier": TARGET})
    assert result.returncode != 0, tail(result)
    assert "Refusing to rotate cluster %s to %s" % (CLUSTER, TARGET) in said(result)
    failures = report(world, "trust-audit-before-rotation.json")["failures"]
    assert any(f.startswith("node2 adapter store %s: lacks " % drifted["path"]) and TARGET in f for f in failures)
    assert all(f.startswith("node2 ") for f in failures), failures
    assert instances_ca(rds) == [DEFAULT_CA]


def test_truststore_tag_repairs_and_rotation_switches_the_chain(world, rds):
    repaired = run_playbook(SITE, *INVENTORY, "--tags", "truststore")
    assert repaired.returncode == 0, tail(repaired)
    checked = run_playbook(
        ROTATE, *INVENTORY, extra_vars={"aurora_cluster_ca_certificate_identifier": TARGET}, check=True
    )
    assert checked.returncode == 0 and "Check mode: would switch" in said(checked), tail(checked)
    assert instances_ca(rds) == [DEFAULT_CA]
    handshake(world, world["ca"]["root_pem"])

    rotated = run_playbook(ROTATE, *INVENTORY, extra_vars={"aurora_cluster_ca_certificate_identifier": TARGET})
    assert rotated.returncode == 0, tail(rotated)
    assert instances_ca(rds) == [TARGET]
    assert "answered over verified TLS" in said(rotated)
    handshake(world, world["ca"]["g1_roots"][TARGET])
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(world, world["ca"]["root_pem"])
    after = report(world)
    assert after["ok"] and after["cluster"]["ca_identifiers"] == [TARGET]
    assert all(any("RSA4096 G1" in subject for subject in s["server_chain"]) for s in after["stores"])


def test_a_new_runtime_from_a_2025_update_is_named(world):
    """Exasol 2025.x updates install a new runtime-<v>-jdk directory beside the old one (its fresh JDK
    store lacks the RDS CA); discovery finds it and the audit names it."""
    if not str(world["exasol"].get("version", "")).startswith("2025"):
        pytest.skip("the lab runs Exasol %s, not 2025.x" % world["exasol"].get("version"))
    node = [n for n in world["nodes"] if n["name"] == "node2"][0]
    runtime = os.path.join(node["root"], "opt", "exasol", "runtime-99.0.0-jdk")
    store = "/opt/exasol/runtime-99.0.0-jdk/lib/security/cacerts"
    os.makedirs(os.path.join(runtime, "lib", "security"))
    try:
        fresh = next(p for p in FRESH_CACERTS if p and os.path.isfile(p))
        shutil.copyfile(fresh, os.path.join(node["root"], store[1:]))
        result = run_playbook(AUDIT, *INVENTORY)
        assert result.returncode != 0, tail(result)
        failures = report(world)["failures"]
        assert failures and all(f.startswith("node2 loader store %s: " % store) for f in failures), failures
    finally:
        shutil.rmtree(runtime)
