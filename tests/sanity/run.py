"""Run `ansible-test sanity` on this checkout the way `make sanity` does; works on a fresh clone.

ansible-test wants the collection at .../ansible_collections/virtualis/aurora and its
dependencies next to it, so this script

1. copies the files git knows about (tracked and not ignored, lab state left out) into
   .build/sanity-<random>/ansible_collections/virtualis/aurora (a copy, so that nothing the tests
   write lands in the checkout, half-written files of a running edit do not change under the
   test, and two runs at once in the same checkout do not pull the tree from under each other);
2. links every collection that galaxy.yml depends on next to it, taken from the `ansible`
   package in the running Python (no Galaxy server is needed);
3. seeds ansible-test's pip bootstrap cache with tests/sanity/get_pip.py when no real copy is
   there (ansible-test downloads it from a host that only package registries may replace here);
4. runs `ansible-test sanity --venv`: every test runs with exactly the tool versions this
   ansible-test pins (pylint, yamllint, voluptuous, antsibull-changelog, ...), in venvs that
   ansible-test caches under ~/.ansible/test/venv, so .venv keeps the versions ansible-lint needs.
   `compile` and `import` run on every Python that ansible-test supports for modules and that
   this machine has (on PATH, or installed by pyenv: its shims do not work under ansible-test,
   so the real interpreters go on PATH); the others run once, on the running Python.

There is no ignore file: whatever sanity reports must be fixed in the code.
Extra arguments go to ansible-test, e.g. `tests/sanity/run.py --test pylint`. The copy is removed
afterwards; SANITY_KEEP=1 keeps it (with ansible-test's tests/output) for a closer look.
Run by another venv's Python (`.venv-core-2.17/bin/python tests/sanity/run.py --python 3.10`, as
tests/compat/matrix.py does), it runs that venv's ansible-test and finds the dependencies there.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.path.join(ROOT, ".build")
SKIPPED_PREFIXES = ("tests/lab/state/",)


def tree_files() -> list[str]:
    """Files git tracks or would track (not ignored), lab state left out."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted(
        path
        for path in set(listing.split("\0"))
        if path and not path.startswith(SKIPPED_PREFIXES) and os.path.lexists(os.path.join(ROOT, path))
    )


def copy_tree(target: str) -> None:
    """A fresh copy of the checkout's files at target, with a git index of its own."""
    shutil.rmtree(target, ignore_errors=True)
    for path in tree_files():
        destination = os.path.join(target, path)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, path), destination, follow_symlinks=False)
    subprocess.run(["git", "init", "-q", "."], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)


def installed_collection(namespace: str, name: str) -> str | None:
    """Where the running Python's packages (the `ansible` package) hold namespace.name."""
    for entry in sys.path:
        candidate = os.path.join(entry, "ansible_collections", namespace, name)
        if entry and os.path.isfile(os.path.join(candidate, "MANIFEST.json")):
            return candidate
    return None


def link_dependencies(collections_root: str) -> None:
    """Every collection galaxy.yml depends on, linked into collections_root (an ansible_collections)."""
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        dependencies = yaml.safe_load(handle).get("dependencies") or {}
    for full_name in dependencies:
        namespace, name = full_name.split(".")
        source = installed_collection(namespace, name)
        if source is None:
            sys.exit("sanity: dependency %s is not installed in %s: run `make venv`" % (full_name, sys.prefix))
        link = os.path.join(collections_root, namespace, name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(source, link)


def seed_pip_bootstrap() -> None:
    """Put tests/sanity/get_pip.py where ansible-test looks for its downloaded get-pip script."""
    from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel

    class _Python:  # get_venv_packages() only reads .version
        version = "%d.%d" % sys.version_info[:2]

    pip_version = get_venv_packages(_Python())["pip"]
    cached = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % pip_version.replace(".", "_"))
    if not os.path.exists(cached):
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        shutil.copy(os.path.join(ROOT, "tests", "sanity", "get_pip.py"), cached)


def find_python(version: str) -> str | None:
    """A real interpreter of Python `version` (X.Y): on PATH or installed by pyenv, never a shim."""
    candidates = [shutil.which("python" + version)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s" % (version, version))))
    for candidate in candidates:
        if candidate and "/shims/" not in candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def target_python_dirs() -> list[str]:
    """Directories of real interpreters for the Python versions ansible-test supports."""
    from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS, REMOTE_ONLY_PYTHON_VERSIONS  # pylint: disable=import-outside-toplevel

    found = {}
    for version in REMOTE_ONLY_PYTHON_VERSIONS + CONTROLLER_PYTHON_VERSIONS:
        candidate = find_python(version)
        if candidate:
            found[version] = os.path.dirname(candidate)
    print("sanity: Pythons for compile/import: %s" % (", ".join(found) or "only the running one"), flush=True)
    return list(dict.fromkeys(found.values()))


def main() -> int:
    """Prepare the tree, run ansible-test sanity, report the wall time."""
    started = time.monotonic()
    os.makedirs(BUILD_DIR, exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix="sanity-", dir=BUILD_DIR)
    collections_root = os.path.join(run_dir, "ansible_collections")
    target = os.path.join(collections_root, "virtualis", "aurora")
    returncode = 1
    try:
        copy_tree(target)
        link_dependencies(collections_root)
        seed_pip_bootstrap()
        bin_dir = os.path.dirname(sys.executable)
        # `--python X.Y` (make compat: one Python per ansible-core) needs no other interpreters
        others = [] if "--python" in sys.argv[1:] else target_python_dirs()
        path = os.pathsep.join([bin_dir] + others + [os.environ.get("PATH", os.defpath)])
        command = [os.path.join(bin_dir, "ansible-test"), "sanity", "--venv", "--color", "no"] + sys.argv[1:]
        print("sanity: " + " ".join(command[1:]), flush=True)
        returncode = subprocess.run(command, cwd=target, env=dict(os.environ, PATH=path), check=False).returncode
    finally:
        if os.environ.get("SANITY_KEEP") == "1":
            print("sanity: tree kept in %s" % target)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    print("sanity: %s in %.0f s" % ("passed" if returncode == 0 else "FAILED", time.monotonic() - started))
    return returncode


if __name__ == "__main__":
    sys.exit(main())
