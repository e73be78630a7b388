"""rds_truststore discovery on the lab's node trees: 6.x/7.x (classic) and 2025.x (COS) layouts.

Needs the running lab (fixture `lab`), either generation (LAB_EXASOL_VERSION). The module runs on
this machine in check mode with discover_root = a node's tree, so it reads what a node's admin
sees and changes nothing; lab.json says which store each JVM of the node reads.
"""

import os

from module_runner import run_module
from truststores import FIXTURES


def test_discovery_names_every_jvms_store_on_every_node(lab, tmp_path):
    with open(os.path.join(FIXTURES, "eu-central-1-bundle.pem")) as handle:
        pem = handle.read()
    for node in lab["nodes"]:
        root = node["root"]
        result = run_module(
            "rds_truststore",
            tmp_path,
            check=True,
            content=pem,
            discover=True,
            discover_root=root,
            store_password=node["store_password"],
            cache_dir="",
        )
        assert not result.get("failed"), (node["name"], result)
        described = {d["path"]: d for d in result["discovered_stores"]}
        assert sorted(described) == result["discovered"]
        for path in node["adapter_truststores"]:
            found = described[root + path]
            assert found["jvm"] == "adapter", found
            assert found["generation"] == ("2025.x" if node["layout"] == "cos" else "7.x"), found
        if node["layout"] == "cos":  # the loader reads its runtime JDK's store: discovered too
            loader = described[root + node["loader_truststore"]]
            assert (loader["jvm"], loader["generation"]) == ("loader", "2025.x"), loader
        else:  # the central store is managed by name (truststores), not discovered
            assert root + node["loader_truststore"] not in described
        resolved = {s["path"]: s["resolved_path"] for s in result["stores"]}
        for listed, wanted in zip(node["adapter_truststores"], node["slc_truststores_resolved"]):
            # container links resolve inside the container
            assert os.path.realpath(resolved[root + listed]) == os.path.realpath(root + wanted)
