"""Pure logic of the lab's first half: node layout, /etc/hosts block, inventory (no lab needed)."""

import importlib.util
import os
import socket
import sys
import threading

import pytest

from components import nodes, postgres
from lab import Lab, LabError, port_owner, serialise

pytestmark = pytest.mark.lab_code  # tests of tests/lab/lab.py and its components

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_inventory():
    spec = importlib.util.spec_from_file_location(
        "lab_inventory", os.path.join(ROOT, "inventory", "lab", "lab_inventory.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Settings:
    def __init__(self, **values):
        self.values = values

    def setting(self, name, default):
        return self.values.get(name, default)


def test_layout_mixes_formats_and_symlinked_slc():
    specs = [nodes.layout(i) for i in range(1, 7)]
    assert [s["truststore_type"] for s in specs] == ["JKS", "PKCS12", "JKS", "JKS", "PKCS12", "JKS"]
    assert [s["slc_symlink"] for s in specs] == [False, False, True, False, False, True]
    linked = specs[2]
    assert linked["slc_truststores"][0].endswith("/usr/lib/jvm/java-11-openjdk-amd64/lib/security/cacerts")
    assert linked["slc_truststores_resolved"][0] == nodes.SLC_ROOT + "/etc/ssl/certs/java/cacerts"


@pytest.mark.parametrize("value", ["0", "33", "three", ""])
def test_node_count_rejects_bad_values(value):
    with pytest.raises(LabError, match="LAB_NODES"):
        nodes.node_count(Settings(LAB_NODES=value))


def test_node_count_default_and_max():
    assert nodes.node_count(Settings()) == 3
    assert nodes.node_count(Settings(LAB_NODES="32")) == 32


def test_hosts_block_is_added_once_and_removed_cleanly():
    original = ["127.0.0.1 localhost\n", "::1 localhost"]
    entries = [("127.0.0.10", "aurora-lab.example")]
    added = postgres.hosts_block(original, entries)
    assert added[-2] == "127.0.0.10 aurora-lab.example\n"
    assert postgres.hosts_block(added, entries) == added  # idempotent
    assert postgres.hosts_block(added, []) == ["127.0.0.1 localhost\n", "::1 localhost\n"]


def test_inventory_without_lab_is_empty():
    result = load_inventory().inventory({})
    assert result["exasol_nodes"]["hosts"] == []
    assert "vars" not in result["all"]


def test_inventory_host_vars_check_host_keys():
    node = {
        "name": "node1",
        "address": "127.0.1.1",
        "port": 2222,
        "user": "root",
        "ssh_key": "/k/id_ed25519",
        "known_hosts": "/k/known_hosts",
    }
    result = load_inventory().inventory({"nodes": [node]})
    hostvars = result["_meta"]["hostvars"]["node1"]
    assert result["exasol_nodes"]["hosts"] == ["node1"]
    assert hostvars["ansible_host"] == "127.0.1.1" and hostvars["ansible_port"] == 2222
    assert "-o UserKnownHostsFile=/k/known_hosts -o StrictHostKeyChecking=yes" in hostvars["ansible_ssh_common_args"]
    assert result["all"]["vars"]["lab"]["nodes"][0] is node


def test_missing_program_names_its_debian_package():
    with pytest.raises(LabError, match=r"install the Debian package openssh-server \(`make apt`"):
        Lab.require_program("/nonexistent/sbin/sshd", "openssh-server")
    assert Lab.require_program("sh", "dash").endswith("/sh")


def test_a_taken_port_names_its_owner():
    """lab-up's refusal says which process holds a lab port (e.g. a lab of a removed checkout)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        owner = port_owner("127.0.0.1", port)
        assert owner.startswith("pid %d (" % os.getpid()) and os.path.basename(sys.executable) in owner
        assert port_owner("127.0.0.2", port) is None  # same port, other address
    assert port_owner("127.0.0.1", port) is None
    assert port_owner("not-an-address", port) is None


def test_two_lab_commands_take_turns(tmp_path, capsys):
    """A second `up`/`down` on the same state directory waits for the first (no mixed CA generations)."""
    first = serialise(str(tmp_path))
    acquired = threading.Event()

    def second():
        os.close(serialise(str(tmp_path)))
        acquired.set()

    waiter = threading.Thread(target=second)
    waiter.start()
    assert not acquired.wait(0.3)  # still held by the first
    os.close(first)
    assert acquired.wait(10)
    waiter.join()
    assert "waiting for it" in capsys.readouterr().err
