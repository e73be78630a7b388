#!/usr/bin/env python
"""Ansible inventory of the local lab, read from tests/lab/state/lab.json (`make lab-up` writes it).

Group `exasol_nodes`: every lab node, reached over SSH with the lab's key and known_hosts (host keys
are checked). Group var `lab` (on `all`): the whole lab.json, for roles and tests that need the
lab's endpoints. With no lab up, the inventory is empty.

The Exasol generation follows lab.json `exasol.version` (tests/lab LAB_EXASOL_VERSION): on 8.x /
2025.x (COS nodes) `all` also gets COS_VARS; 6.x / 7.x get nothing more, the roles' defaults apply.
group_vars/all/*.yml override these, so they set none of them.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))  # realpath: Molecule links this script
DEFAULT_STATE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "lab", "state")


# Exasol 8.x / 2025.x in COS: no EXAoperation (drivers by settings.cfg only), no central store
# (ExaLoader reads its runtime JDK's store, which discovery finds), and the loader's security manager
# refuses the driver's TLS handshake unless settings.cfg says NOSECURITY=YES.
COS_VARS = {
    "exasol_jdbc_driver_registration": "bucketfs",
    "exasol_jdbc_driver_disable_security_manager": True,
    "exasol_truststore_central_store": "",
    "trust_audit_central_stores": [],
    # adapter 4.x: no anonymous usage data from the lab (TELEMETRY=false)
    "exasol_virtual_schema_telemetry": False,
}


def exasol_major(lab):
    """First number of lab.json `exasol.version` ("2025.1.3" -> 2025), None when it says none."""
    version = str((lab.get("exasol") or {}).get("version") or "")
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def generation_vars(lab):
    """Variables of the lab's Exasol generation: COS_VARS from 8 on, none for 6.x / 7.x."""
    major = exasol_major(lab)
    return dict(COS_VARS) if major is not None and major >= 8 else {}


def host_vars(node):
    """Connection variables for one node of lab.json."""
    return {
        "ansible_host": node["address"],
        "ansible_port": node["port"],
        "ansible_user": node["user"],
        "ansible_ssh_private_key_file": node["ssh_key"],
        "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes "
        "-o IdentitiesOnly=yes" % node["known_hosts"],
        "ansible_python_interpreter": "/usr/bin/python3",
        "lab_node": node,
    }


def inventory(lab):
    """The --list answer for a lab.json dict (empty groups when the lab is not up)."""
    nodes = lab.get("nodes", [])
    result = {
        "_meta": {"hostvars": {node["name"]: host_vars(node) for node in nodes}},
        "all": {"children": ["exasol_nodes", "ungrouped"]},
        "exasol_nodes": {"hosts": [node["name"] for node in nodes]},
    }
    if lab:
        result["all"]["vars"] = dict(generation_vars(lab), lab=lab)
    return result


def load(state_dir):
    try:
        with open(os.path.join(state_dir, "lab.json")) as handle:
            return json.load(handle)
    except OSError:
        return {}


def main(argv):
    if len(argv) > 1 and argv[1] == "--host":
        print("{}")  # everything is in _meta
        return 0
    print(json.dumps(inventory(load(os.environ.get("LAB_STATE_DIR", DEFAULT_STATE))), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
