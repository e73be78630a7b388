"""The example inventories, one per Exasol generation (issue 13): what `ansible-inventory --list` reads.

inventory/example is Exasol 2025.x (COS nodes reached on port 20002, no central store, adapter 4.x);
inventory/example-7.1 is Exasol 7.1 (classic nodes, the roles' central store default, adapter 3.x).
"""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
NODES = ["exasol-n11", "exasol-n12", "exasol-n13"]


def listed(inventory):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    done = subprocess.run(
        [os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[WARNING]" not in done.stderr, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("inventory", ["inventory/example", "inventory/example-7.1"])
def test_example_lists_three_root_nodes(inventory):
    answer = listed(inventory)
    assert answer["exasol_nodes"]["hosts"] == NODES
    hostvars = answer["_meta"]["hostvars"]
    assert [hostvars[n]["ansible_host"] for n in NODES] == ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
    assert all(hostvars[n]["ansible_user"] == "root" for n in NODES)
    # secrets only by reference to the vault file
    assert hostvars[NODES[0]]["exasol_jdbc_driver_bucketfs_password"] == "{{ vault_bucketfs_write_password }}"


def test_example_2025_reaches_cos_without_a_central_store():
    node = listed("inventory/example")["_meta"]["hostvars"]["exasol-n11"]
    assert node["exasol_version"] == "2025.1"
    assert node["ansible_port"] == 20002
    assert node["exasol_truststore_central_store"] == "" and node["trust_audit_central_stores"] == []
    assert node["exasol_jdbc_driver_adapter_src"].endswith("virtual-schema-dist-14.0.5-postgresql-4.0.2.jar")
    assert "exasol_jdbc_driver_exaoperation_url" not in node


def test_example_7_1_keeps_the_classic_defaults():
    node = listed("inventory/example-7.1")["_meta"]["hostvars"]["exasol-n11"]
    assert node["exasol_version"] == "7.1"
    assert "ansible_port" not in node  # the node's own sshd
    assert "exasol_truststore_central_store" not in node  # the role's default: the central store
    assert node["exasol_jdbc_driver_adapter_src"].endswith("virtual-schema-dist-13.0.0-postgresql-3.1.1.jar")
    assert "exasol_virtual_schema_telemetry" not in node  # a 3.x adapter has none
