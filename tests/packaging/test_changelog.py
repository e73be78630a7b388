"""The changelog fragments are valid and render into the release's CHANGELOG.rst.

Before galaxy.yml's version is released, `antsibull-changelog release` is run on a copy of the
collection (it rewrites changelogs/changelog.yaml and deletes the fragments); once `make
changelog-release` has cut it in the checkout, the checkout's CHANGELOG.rst is read instead. Either
way the result must name the release summary and every module and role as new. A few seconds.
"""

import datetime
import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
GALAXY = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8"))
COPIED = ("galaxy.yml", "changelogs", "plugins", "roles", "meta")


def antsibull_changelog(*args, cwd=ROOT, env=None):
    result = subprocess.run(
        [os.path.join(BIN, "antsibull-changelog")] + list(args),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, "antsibull-changelog %s failed:\n%s\n%s" % (
        " ".join(args),
        result.stdout[-3000:],
        result.stderr[-3000:],
    )
    return result.stdout


def released_versions():
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml"), encoding="utf-8") as handle:
        return set((yaml.safe_load(handle) or {}).get("releases") or {})


def test_fragments_lint():
    antsibull_changelog("lint")
    antsibull_changelog("lint-changelog-yaml", os.path.join("changelogs", "changelog.yaml"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The CHANGELOG.rst of galaxy.yml's version: the checkout's once released, else rendered on a copy."""
    if GALAXY["version"] in released_versions():
        with open(os.path.join(ROOT, "CHANGELOG.rst"), encoding="utf-8") as handle:
            return handle.read()
    base = tmp_path_factory.mktemp("changelog")
    copy = base / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    for name in COPIED:
        source = os.path.join(ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, str(copy / name), ignore=shutil.ignore_patterns("__pycache__"))
        elif os.path.exists(source):
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, str(copy / name))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(base))
    env.pop("ANSIBLE_CONFIG", None)
    antsibull_changelog(
        "release",
        "--version",
        GALAXY["version"],
        "--date",
        datetime.date.today().isoformat(),
        "--ansible-doc-bin",
        os.path.join(BIN, "ansible-doc"),
        cwd=str(copy),
        env=env,
    )
    with open(str(copy / "CHANGELOG.rst"), encoding="utf-8") as handle:
        return handle.read()


def test_release_announces_summary_modules_and_roles(rendered):
    assert "v%s" % GALAXY["version"] in rendered
    assert "Release Summary" in rendered
    modules = [os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))]
    missing = [m for m in modules if "%s.%s.%s" % (GALAXY["namespace"], GALAXY["name"], m) not in rendered]
    assert not missing, "modules not announced as new in CHANGELOG.rst: %s" % missing
    roles = [
        os.path.basename(os.path.dirname(os.path.dirname(p)))
        for p in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))
    ]
    missing = [r for r in roles if "%s.%s.%s" % (GALAXY["namespace"], GALAXY["name"], r) not in rendered]
    assert not missing, "roles not announced as new in CHANGELOG.rst (version_added in argument_specs?): %s" % missing
