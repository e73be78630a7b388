"""exasol_teardown role and the Exasol side of playbooks/teardown.yml, without the lab.

The order of the deletions and that every check before them is read-only are read from the task
files; bad input and a node that does not answer are run through ansible-playbook and must fail
before anything is contacted (the Exasol login points at a port where nothing listens, so any
attempt to connect would fail with another message). The deletions themselves run against the
lab in tests/functional/test_exasol_teardown.py.
"""

import json
import os
import re

import pytest
import yaml

from lab_helpers import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ROLE = os.path.join(ROOT, "roles", "exasol_teardown")
PLAYBOOK = os.path.join(ROOT, "playbooks", "teardown.yml")
NOWHERE = {
    "exasol_teardown_login_host": "127.0.0.1",
    "exasol_teardown_login_port": 9,
    "exasol_teardown_login_password": "x",
    "exasol_teardown_bucketfs_url": "http://127.0.0.1:9",
    "exasol_teardown_bucketfs_password": "x",
    "exasol_teardown_bucketfs_files": ["jars/a.jar"],
}
MODULE_PREFIX = "virtualis.aurora."


def tasks(name):
    with open(os.path.join(ROLE, "tasks", name)) as handle:
        return yaml.safe_load(handle)


def flat(task_list, inherited=None):
    """(task, keywords inherited from enclosing blocks) for every task, blocks opened."""
    for task in task_list:
        keywords = dict(inherited or {}, **{k: task[k] for k in ("check_mode", "when") if k in task})
        if "block" in task:
            yield from flat(task["block"] + task.get("rescue", []), keywords)
        else:
            yield task, keywords


def action(task):
    return next(k for k in task if "." in k and not k.startswith("ansible.builtin.import"))


def test_main_checks_first_then_deletes_in_the_safe_order():
    block = tasks("main.yml")[0]["block"]
    imported = [t["ansible.builtin.import_tasks"] for t in block]
    assert imported == ["preflight.yml", "objects.yml", "files.yml", "registration.yml", "summary.yml"]
    assert [action(t) for t in tasks("objects.yml")] == [
        MODULE_PREFIX + "exasol_virtual_schema",
        MODULE_PREFIX + "exasol_adapter_script",
        MODULE_PREFIX + "exasol_connection",
    ]
    registration = next(t for t in block if t["ansible.builtin.import_tasks"] == "registration.yml")
    assert registration["when"] == "exasol_teardown_driver_registration | bool"


def test_every_deletion_is_state_absent_and_the_registration_loses_settings_cfg_first():
    for name in ("objects.yml", "files.yml", "registration.yml"):
        for task, dummy in flat(tasks(name)):
            assert task[action(task)]["state"] == "absent", (name, task["name"])
    bucketfs = tasks("registration.yml")[0]
    assert bucketfs["loop"].startswith("{{ [exasol_teardown_settings_cfg] + ")


def test_preflight_only_reads():
    """Modules that can delete run in check mode there; the others only read."""
    for task, keywords in flat(tasks("preflight.yml")):
        name = action(task)
        if name.startswith(MODULE_PREFIX + "exasol_") and not name.endswith("_info"):
            assert keywords.get("check_mode") is True, task["name"]
            assert task.get("changed_when") is False, task["name"]
        else:
            assert name in (
                "ansible.builtin.assert",
                "ansible.builtin.set_fact",
                "ansible.builtin.fail",
                MODULE_PREFIX + "exasol_info",
                MODULE_PREFIX + "exasol_virtual_schema_info",
                MODULE_PREFIX + "exasol_bucketfs_info",
            ), task["name"]


def test_playbook_exasol_first_behind_its_tags_truststores_only_our_entries():
    with open(PLAYBOOK) as handle:
        plays = yaml.safe_load(handle)
    names = [p["name"] for p in plays]
    exasol = [p for p in plays if "exasol_teardown" in p.get("tags", [])]
    assert [p["hosts"] for p in exasol] == ["exasol_nodes", "localhost", "exasol_nodes"]
    assert all("never" in p["tags"] for p in exasol)  # a plain run (AWS tests) never drops shared objects
    assert names.index(exasol[-1]["name"]) < names.index("Tear down an Aurora deployment")
    removal = exasol[-1]["tasks"][0]
    assert removal["ansible.builtin.import_role"]["name"] == MODULE_PREFIX + "exasol_truststore"
    assert removal["vars"] == {"exasol_truststore_state": "absent"}
    assert removal["when"] == "exasol_teardown_truststores | default(false) | bool"


def empty_inventory(tmp_path, hosts=None):
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"exasol_nodes": {"hosts": hosts or {}}}))
    return str(path)


@pytest.mark.spawns
@pytest.mark.parametrize(
    "override,message",
    [
        # None: the variable is not set at all (the argument spec requires it)
        ({"exasol_teardown_login_host": None}, r"'exasol_virtual_schema_login_host' is undefined"),
        (
            {
                "exasol_teardown_bucketfs_files": [
                    "/buckets/bfsdefault/default/jars/a.jar",
                    "jars/../b.jar",
                    "jars/c.jar",
                ]
            },
            r"paths inside the bucket .*: /buckets/bfsdefault/default/jars/a\.jar, jars/\.\./b\.jar; nothing was deleted",
        ),
        (
            {"exasol_teardown_bucketfs_url": "http://w:secret@127.0.0.1:9/default"},
            r"exasol_teardown_bucketfs_url must be http\(s\)://HOST:PORT without a path or credentials",
        ),
        ({"exasol_teardown_driver_registration_via": "ftp"}, r"exasol_teardown_driver_registration_via.*ftp"),
    ],
    ids=["login", "paths", "bucketfs-url", "registration-via"],
)
def test_bad_input_fails_before_anything_is_contacted(tmp_path, override, message):
    extra_vars = {k: v for k, v in dict(NOWHERE, **override).items() if v is not None}
    result = run_playbook(PLAYBOOK, "-i", empty_inventory(tmp_path), "--tags", "exasol_teardown", extra_vars=extra_vars)
    assert result.returncode != 0
    output = re.sub(r"\s+", " ", result.stdout)
    assert re.search(message, output), result.stdout[-3000:]
    assert "Read the Exasol version" not in result.stdout and "secret" not in result.stdout


@pytest.mark.spawns
def test_a_node_that_does_not_answer_stops_the_exasol_side(tmp_path):
    inventory = empty_inventory(tmp_path, {"gone": {"ansible_host": "127.0.0.1", "ansible_port": 9}})
    result = run_playbook(
        PLAYBOOK,
        "-i",
        inventory,
        "--tags",
        "exasol_teardown,aws_teardown",
        extra_vars=dict(NOWHERE, exasol_teardown_truststores=True, exasol_truststore_bundle_src=PLAYBOOK),
    )
    assert result.returncode != 0
    assert "Not every host of exasol_nodes answered" in result.stdout, result.stdout[-3000:]
    assert "Read the Exasol version" not in result.stdout
    assert "Tear down an Aurora deployment" not in result.stdout  # the failed localhost ends the run
