"""aws_teardown: every check, and the verification of the final snapshots, comes before the first
deletion or deletion-protection change (issue 11 item 12). Reads the task files; no AWS."""

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TASKS = os.path.join(ROOT, "roles", "aws_teardown", "tasks")


def tasks(name):
    with open(os.path.join(TASKS, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def module_of(task):
    return next(key for key in task if "." in key and key.count(".") == 2)


def is_destructive(task):
    """A task that deletes something or lowers a protection."""
    args = task[module_of(task)] or {}
    return args.get("state") == "absent" or args.get("deletion_protection") is False


def teardown_sequence():
    """The role's tasks in execution order (main.yml's imports expanded)."""
    sequence = []
    for step in tasks("main.yml"):
        sequence.extend(tasks(step["ansible.builtin.import_tasks"]))
    return sequence


def test_every_check_runs_before_the_first_deletion():
    sequence = teardown_sequence()
    destructive = [i for i, t in enumerate(sequence) if is_destructive(t)]
    checks = [i for i, t in enumerate(sequence) if module_of(t) == "ansible.builtin.assert"]
    assert destructive and len(checks) >= 4
    late = [sequence[i]["name"] for i in checks if i > destructive[0]]
    assert not late, "checks after the first deletion (%s): %s" % (sequence[destructive[0]]["name"], late)


def test_refusals_say_nothing_was_deleted():
    for task in teardown_sequence():
        if module_of(task) == "ansible.builtin.assert" and task["name"] != "Check the deployment name":
            assert "Nothing was deleted." in task["ansible.builtin.assert"]["fail_msg"], task["name"]
