"""Shared pytest set-up: import the collection from this checkout, find the lab."""
import json
import os
import subprocess
import sys
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".collections")
LAB_STATE = os.environ.get("LAB_STATE_DIR", os.path.join(ROOT, "tests", "lab", "state"))
RDS_BUNDLE_DIR = os.environ.get("RDS_BUNDLE_DIR", os.path.join(os.path.dirname(ROOT), "shared", "data", "rds"))

if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


@pytest.fixture(scope="session")
def lab():
    """lab.json of the running lab; fails (make test) or skips (ad hoc) when it is not up."""
    path = os.path.join(LAB_STATE, "lab.json")
    if not os.path.exists(path):
        message = "the lab is not up: run `make lab-up` (%s missing)" % path
        if os.environ.get("LAB_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with open(path) as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def rds_bundle_dir():
    """The real Amazon RDS bundles (../shared/data/rds or $RDS_BUNDLE_DIR)."""
    if not os.path.exists(os.path.join(RDS_BUNDLE_DIR, "global-bundle.pem")):
        pytest.skip("real RDS bundles not found in %s (set RDS_BUNDLE_DIR)" % RDS_BUNDLE_DIR)
    return RDS_BUNDLE_DIR


def run_playbook(playbook, *args, extra_vars=None, check=False, env=None):
    """ansible-playbook from this checkout; returns the CompletedProcess (text)."""
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd += ["--check", "--diff"]
    cmd += list(args)
    full_env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    full_env.update(env or {})
    return subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, check=False)


def bucketfs_wait_synced(bfs):
    """Until the lab BucketFS has published every queued upload and delete (its /.lab/wait-synced)."""
    with urllib.request.urlopen(bfs["lab_endpoint"] + "wait-synced", timeout=40) as reply:
        assert json.load(reply)["synced"]
