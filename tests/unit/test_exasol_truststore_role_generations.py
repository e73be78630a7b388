"""exasol_truststore on a 7.1 node and a 2025.x node (the lab's layouts, local connection, no lab):
with its default discover patterns (the module's own list) the role reaches the 2025.x loader
(runtime JDK) and SLC stores, and on 7.1 it finds what it always found; a rerun changes nothing."""

import json
import os
import re
import sys

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import Store
from exasol_layouts import node_tree, nodes
from lab_helpers import run_playbook
from truststores import bundle, self_signed_pem

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


PLAYBOOK = os.path.join(ROOT, "playbooks", "truststore.yml")


def fingerprints(path):
    return sorted(e.sha256 for e in Store(str(path), "auto", "changeit").load().entries)


def test_role_reaches_the_stores_of_both_generations(tmp_path):
    pem_bundle = tmp_path / "bundle.pem"
    pem_bundle.write_text(self_signed_pem("Generations CA", key="rsa2048")[0])
    trees, hosts = {}, {}
    for name, kind in (("n71", "classic"), ("n2025", "cos")):
        root = tmp_path / name
        trees[name] = (root, node_tree(root, kind, runtimes=("8.8.0", "8.9.1")))
        hosts[name] = {
            "exasol_truststore_discover_root": str(root),
            "exasol_truststore_cache_dir": str(tmp_path / "cache"),
            "exasol_truststore_central_store": str(root) + nodes.CENTRAL if kind == "classic" else "",
        }
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "exasol_nodes": {
                    "hosts": hosts,
                    "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                }
            }
        )
    )
    extra = {"exasol_truststore_bundle_src": str(pem_bundle)}
    first = run_playbook(PLAYBOOK, "-i", str(inventory), extra_vars=extra)
    assert first.returncode == 0, first.stdout[-3000:]
    assert "n71: 2 stores (1 discovered), 2 changed" in first.stdout  # as before the 2025.x patterns
    assert "n2025: 3 stores (3 discovered), 3 changed" in first.stdout  # two runtime JDKs and the SLC
    wanted = sorted(c.sha256 for c in bundle(str(pem_bundle)))
    for root, stores in trees.values():
        for real in stores.values():
            assert fingerprints(str(root) + real) == wanted, real
    second = run_playbook(PLAYBOOK, "-i", str(inventory), extra_vars=extra)
    assert {int(n) for n in re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)", second.stdout, re.M)} == {0}
