"""Shared fixtures: the running lab, the real RDS bundles, module warnings.

The helpers live in tests/support/lab_helpers.py (pytest.ini puts tests/support, tests/unit/plugins,
tests/lab and .collections on the path); their names are re-exported here for tests that still
`from conftest import ...`."""

import json
import os
import subprocess

import pytest

# re-exported for the test modules that import them from conftest
from lab_helpers import (  # noqa: F401  pylint: disable=unused-import
    KINDS,
    LAB_STATE,
    RDS_BUNDLE_DIR,
    ROOT,
    bucketfs_context,
    bucketfs_request,
    bucketfs_wait_synced,
    node_stores,
    run_playbook,
    set_lab_ca,
    store_files,
    store_variants,
)

LAB_CODE = os.path.join(ROOT, "tests", "unit", "lab") + os.sep


def pytest_collection_modifyitems(items):
    """`lab` on every test that uses the running lab (the `lab` fixture, directly or through
    another fixture); `lab_code` on the tests of the lab's own code (tests/unit/lab)."""
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.lab)
        if str(item.path).startswith(LAB_CODE):
            item.add_marker(pytest.mark.lab_code)


@pytest.fixture(autouse=True)
def _in_process_only(request, monkeypatch):
    """Under `-m "not spawns"` a test that starts a process fails and says so: the fast set stays
    in-process only because a test that spawns cannot slip into it unmarked."""
    if "not spawns" not in (request.config.getoption("markexpr") or "") or request.node.get_closest_marker("spawns"):
        return

    def refuse(*_args, **_kwargs):
        raise AssertionError("%s starts a process: mark it @pytest.mark.spawns" % request.node.nodeid)

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


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


@pytest.fixture(autouse=True)
def _exasol7_only(request):
    """A test marked exasol7 needs the 6.x/7.x lab (EXAoperation, the central store): on a 2025.x lab
    it is skipped and says where it runs (`make e2e`, on its 7.1 lab)."""
    if request.node.get_closest_marker("exasol7"):
        version = str(request.getfixturevalue("lab")["exasol"]["version"])
        if int(version.split(".", 1)[0]) >= 8:
            pytest.skip(
                "needs the Exasol 6.x/7.x lab, this one is %s: `make e2e` runs it on its 7.1 lab "
                "(or LAB_EXASOL_VERSION=7.1 make lab-reset)" % version
            )


@pytest.fixture(scope="session")
def rds_bundle_dir():
    """The real Amazon RDS bundles (../shared/data/rds or $RDS_BUNDLE_DIR)."""
    if not os.path.exists(os.path.join(RDS_BUNDLE_DIR, "global-bundle.pem")):
        pytest.skip("real RDS bundles not found in %s (set RDS_BUNDLE_DIR)" % RDS_BUNDLE_DIR)
    return RDS_BUNDLE_DIR


@pytest.fixture
def module_warnings(monkeypatch):
    """warn() records from here on, as in a module run; returns get_warning_messages.

    Once a test imported controller code (an action plugin test does), ansible-core 2.19+ shows
    warn() on the display instead of recording it; the store is a list before 2.19, a dict since.
    """
    from ansible.module_utils.common import warnings

    try:
        from ansible.module_utils import _internal
    except ImportError:  # ansible-core 2.17
        _internal = None
    if hasattr(_internal, "is_controller"):  # not in 2.17, 2.18
        monkeypatch.setattr(_internal, "is_controller", False)
    monkeypatch.setattr(warnings, "_global_warnings", type(warnings._global_warnings)())
    return warnings.get_warning_messages
