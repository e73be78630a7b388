"""rds_truststore_info on the lab nodes, over SSH, against the lab's PostgreSQL (Aurora's data plane).

Read-only: it changes no node store. Whatever state the node stores are in (the truststore role
may or may not have run), what the module measures must agree with what it reports: a store that
holds the whole lab bundle passes the real handshake, a failed handshake is a verify failure
(never a connection or host-name problem, the lab's certificate names the endpoint). Two stores of
the test's own (in the host's /tmp, which the nodes share) pin both outcomes down.
"""

import json
import os
import subprocess
import sys

import pytest

from truststores import bundle, make_jks, write_lab_inventory

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


MODULE = "virtualis.aurora.rds_truststore_info"


@pytest.fixture(scope="module")
def setup(lab, tmp_path_factory):
    """(inventory with each node's stores as `audit_stores`, the test's own good and bad store)."""
    work = tmp_path_factory.mktemp("truststore_info")
    os.chmod(str(work), 0o755)
    password = lab["nodes"][0]["store_password"]
    good = make_jks(work / "lab-root.jks", bundle(lab["ca"]["root_pem"]), password=password)
    bad = make_jks(work / "wrong-ca.jks", bundle(lab["ca"]["wrong_ca_file"]), password=password)
    inventory = write_lab_inventory(lab, work / "inventory.json")
    with open(inventory) as handle:
        data = json.load(handle)
    for node in lab["nodes"]:
        stores = [node["loader_truststore"]] + [
            p for p in node["adapter_truststores"] if p != node["loader_truststore"]
        ]
        data["exasol_nodes"]["hosts"][node["name"]]["audit_stores"] = stores
    with open(inventory, "w") as handle:
        json.dump(data, handle)
    return inventory, good, bad


def audit(lab, inventory, truststores, **extra):
    """{node name: module result} of one ad-hoc run on every node."""
    pg = lab["postgres"]
    args = dict(
        truststores=truststores,
        content="{{ lookup('ansible.builtin.file', '%s') }}" % lab["ca"]["bundle_file"],
        store_password="{{ exasol_truststore_password }}",
        cache_dir="",
        endpoint={"host": pg["address"], "port": pg["port"], "server_hostname": pg["host"]},
        **extra,
    )
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_FORKS="16",
    )
    proc = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible"),
            "-i",
            inventory,
            "exasol_nodes",
            "-m",
            MODULE,
            "-a",
            json.dumps(args),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        hosts = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError("no JSON from ansible: %s %s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
    assert set(hosts) == {n["name"] for n in lab["nodes"]}, hosts.keys()
    return hosts, proc.stdout


def test_node_stores_measured_consistently(lab, setup):
    inventory, dummy_good, dummy_bad = setup
    results, output = audit(lab, inventory, "{{ audit_stores }}")
    server = bundle(lab["ca"]["server_cert"])[0].sha256
    for name, result in results.items():
        assert not result.get("failed") and result["changed"] is False, (name, result.get("msg"))
        for store in result["stores"]:
            where = "%s %s" % (name, store["path"])
            assert store["error"] is None and store["type"] in ("jks", "pkcs12"), where
            handshake = store["handshake"]
            if not store["missing"]:
                assert handshake["ok"], (where, handshake)
            if not handshake["ok"]:
                assert handshake["error_type"] == "verify", (where, handshake)
            assert handshake["server_chain"][0]["sha256"] == server, (where, handshake["server_chain"])
    assert lab["nodes"][0]["store_password"] not in output


def test_own_stores_trusted_and_not_trusted_on_every_node(lab, setup):
    inventory, good, bad = setup
    results, dummy = audit(lab, inventory, [good, bad])
    for name, result in results.items():
        trusted, untrusted = result["stores"]
        assert trusted["handshake"]["ok"], (name, trusted["handshake"])
        assert untrusted["handshake"]["error_type"] == "verify", (name, untrusted["handshake"])
        assert result["summary"]["handshake_ok"] == 1 and result["summary"]["handshake_failed"] == 1
    failing, dummy = audit(lab, inventory, [good, bad], fail_on_missing=True)
    for result in failing.values():
        assert result["failed"] and bad in result["msg"] and "fails the handshake" in result["msg"], result["msg"]
