"""Run a module of this checkout the way Ansible does (a child process with JSON args)."""

import json
import os
import subprocess
import sys

from ansible.module_utils.common.parameters import PASS_VARS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def run_module(module_name, tmp_path, check=False, diff=True, **args):
    """Run plugins/modules/<module_name>.py with args; returns its JSON result."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    if "inject_invocation" in PASS_VARS:  # ansible-core 2.21+ returns `invocation` only when asked to
        args["_ansible_inject_invocation"] = True
    path = os.path.join(str(tmp_path), "args-%s.json" % module_name)
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"))
    module = os.path.join(ROOT, "plugins", "modules", module_name + ".py")
    proc = subprocess.run([sys.executable, module, path], capture_output=True, text=True, env=env, check=False)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("module %s printed no JSON: %s %s" % (module_name, proc.stdout, proc.stderr))
