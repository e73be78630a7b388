"""Sanity and unit tests of this checkout on every ansible-core minor that meta/runtime.yml supports.

`make compat` runs it for every row of MATRIX, `make compat CORE=2.21` for one. For each
ansible-core minor it

1. keeps a venv `.venv-core-<minor>` on the Python of that row (created once; reinstalled only when
   the requirement below or the Python changes: `.stamp` holds both);
2. installs `ansible-core` of that minor plus tests/compat/requirements.txt, the few packages the
   plugin unit tests import besides ansible-core (no molecule, ansible-lint or lab packages);
3. links the collections galaxy.yml depends on (amazon.aws, community.postgresql) into the venv,
   taken from the `ansible` package of the running Python (.venv): there is no Galaxy server here,
   and the `ansible` package that matches an old ansible-core carries an amazon.aws older than
   galaxy.yml allows. Their meta/runtime.yml must admit the venv's ansible-core (checked);
4. runs the plugin unit tests (tests/unit/plugins) with that venv's Python and ansible-core;
5. runs that ansible-core's `ansible-test sanity` on a copy of the tree (tests/sanity/run.py run by
   the venv's Python): every test, compile and import on every Python that ansible-core supports
   and this machine has; or only SHORT_SANITY, on the row's Python.

`make compat-ci` (run by `make test`, beside the lab's steps) is the short matrix: the minor
of .venv (2.21) is left out (`make unit` and `make sanity` test it on every Python), the oldest
minor runs the unit tests and the full sanity set, the others (2.18-2.20) compile, import and
validate-modules (the ansible-core-specific checks); the figures behind that choice are in
docs/development.md.

Prints one line per step with its wall time and a summary; exits non-zero when any step failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SPEC = importlib.util.spec_from_file_location("sanity_run", os.path.join(ROOT, "tests", "sanity", "run.py"))
sanity_run = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sanity_run)

# ansible-core minor -> the Python its venv uses. Supported controller Pythons (ansible-core's
# python_requires and ansible-test's CONTROLLER_PYTHON_VERSIONS): 2.17: 3.10-3.12, 2.18 and 2.19:
# 3.11-3.13, 2.20 and 2.21: 3.12-3.14. Together the rows cover every controller Python from 3.10 up
# that pyenv provides here.
MATRIX = {
    "2.17": "3.10",
    "2.18": "3.11",
    "2.19": "3.12",
    "2.20": "3.12",
    "2.21": "3.13",
}
SHORT_SANITY = ("compile", "import", "validate-modules")
REQUIREMENTS = os.path.join(ROOT, "tests", "compat", "requirements.txt")
PIP = ("-m", "pip", "install", "-q", "--disable-pip-version-check")


def venv_dir(core: str) -> str:
    return os.path.join(ROOT, ".venv-core-%s" % core)


def wanted_stamp(core: str) -> str:
    """What the venv must hold: the Python and every requirement line (the stamp's content)."""
    with open(REQUIREMENTS, encoding="utf-8") as handle:
        extras = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    major, minor = core.split(".")
    core_req = "ansible-core>=%s.%s,<%s.%d" % (major, minor, major, int(minor) + 1)
    return "\n".join(["python " + MATRIX[core], core_req] + extras) + "\n"


def ensure_venv(core: str) -> tuple[str, str]:
    """The venv of this minor, created or reinstalled only when its stamp differs: its Python and
    ansible-core version."""
    venv = venv_dir(core)
    python = os.path.join(venv, "bin", "python")
    stamp_path = os.path.join(venv, ".stamp")
    wanted = wanted_stamp(core)
    current = open(stamp_path, encoding="utf-8").read() if os.path.exists(stamp_path) else None
    if current != wanted:
        base = sanity_run.find_python(MATRIX[core])
        if base is None:
            sys.exit(
                "compat: Python %s for ansible-core %s not found (pyenv install %s)"
                % (MATRIX[core], core, MATRIX[core])
            )
        if current is None or current.splitlines()[0] != wanted.splitlines()[0] or not os.path.exists(python):
            subprocess.run([base, "-m", "venv", "--clear", venv], check=True)
        requirements = wanted.splitlines()[1:]
        subprocess.run([python] + list(PIP) + requirements, check=True)
        with open(stamp_path, "w", encoding="utf-8") as handle:
            handle.write(wanted)
    return python, link_dependencies(venv)


def link_dependencies(venv: str) -> str:
    """galaxy.yml's dependencies from the running Python, on the venv's path through a .pth file;
    returns the venv's ansible-core version."""
    core_version, site_packages = subprocess.run(
        [
            os.path.join(venv, "bin", "python"),
            "-c",
            'import sysconfig, ansible.release; print(ansible.release.__version__, sysconfig.get_paths()["purelib"])',
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        dependencies = yaml.safe_load(handle).get("dependencies") or {}
    collections = os.path.join(venv, "collections")
    for full_name in dependencies:
        namespace, name = full_name.split(".")
        source = sanity_run.installed_collection(namespace, name)
        if source is None:
            sys.exit("compat: dependency %s is not installed in %s: run `make venv`" % (full_name, sys.prefix))
        check_requires_ansible(full_name, source, core_version)
        link = os.path.join(collections, "ansible_collections", namespace, name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.realpath(link) != source:
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(source, link)
    with open(os.path.join(site_packages, "virtualis_aurora_dependencies.pth"), "w", encoding="utf-8") as handle:
        handle.write(collections + "\n")
    return core_version


def check_requires_ansible(full_name: str, source: str, core_version: str) -> None:
    """Refuse to test against a dependency whose meta/runtime.yml excludes this ansible-core."""
    from packaging.specifiers import SpecifierSet  # pylint: disable=import-outside-toplevel

    with open(os.path.join(source, "meta", "runtime.yml"), encoding="utf-8") as handle:
        spec = (yaml.safe_load(handle) or {}).get("requires_ansible", "")
    if spec and core_version not in SpecifierSet(spec):
        sys.exit("compat: %s (%s) requires ansible-core %s, not %s" % (full_name, source, spec, core_version))


def run_step(label: str, command: list[str], env: dict | None = None) -> tuple[str, bool, float]:
    started = time.monotonic()
    print(
        "compat: %s: %s" % (label, " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command)),
        flush=True,
    )
    passed = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode == 0
    elapsed = time.monotonic() - started
    print("compat: %s %s in %.0f s" % (label, "passed" if passed else "FAILED", elapsed), flush=True)
    return label, passed, elapsed


def run_core(core: str, unit: bool, sanity: str, pytest_args: list[str]) -> list[tuple[str, bool, float]]:
    """The venv of this minor, then its unit tests (when `unit`) and sanity ('full', 'short', 'none')."""
    started = time.monotonic()
    python, core_version = ensure_venv(core)
    results = [("%s venv" % core, True, time.monotonic() - started)]
    print(
        "compat: ansible-core %s on Python %s (%s)" % (core_version, MATRIX[core], os.path.relpath(python, ROOT)),
        flush=True,
    )
    # the venv's ansible, ansible-test and python first on PATH, ahead of .venv's (make puts it there)
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(python), os.environ.get("PATH", "")]))
    if unit:
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + pytest_args
        command.append(os.path.join(ROOT, "tests", "unit", "plugins"))
        results.append(run_step("%s unit" % core, command, env))
    if sanity != "none":
        # full: compile and import on every Python this ansible-core supports and the machine has
        # (2.17 still targets 3.7 and 3.8, which .venv's newer ansible-test no longer checks)
        command = [python, os.path.join(ROOT, "tests", "sanity", "run.py")]
        label = "%s sanity" % core
        if sanity == "short":
            command += ["--python", MATRIX[core]] + [arg for test in SHORT_SANITY for arg in ("--test", test)]
            label += " (%s on %s)" % (", ".join(SHORT_SANITY), MATRIX[core])
        results.append(run_step(label, command, env))
    return results


def minors(text: str) -> set[str]:
    """'all', 'none' or space-separated minors."""
    if text.strip() in ("all", "none"):
        return set(MATRIX) if text.strip() == "all" else set()
    unknown = set(text.split()) - set(MATRIX)
    if unknown:
        sys.exit("compat: not in the matrix: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(MATRIX)))
    return set(text.split())


def running_minor() -> str:
    """The ansible-core minor of the running Python (.venv): `make unit` and `make sanity` test it."""
    from ansible.release import __version__  # pylint: disable=import-outside-toplevel

    return ".".join(__version__.split(".")[:2])


def main() -> int:
    """Run the rows asked for; a summary line with every step's time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--core", default="all", help='minors to test, space separated, or "all" (default)')
    parser.add_argument(
        "--skip-running-core",
        action="store_true",
        help="leave out the minor of the running Python's ansible-core (make unit and make sanity test it)",
    )
    parser.add_argument(
        "--unit", default="all", help='minors that run the plugin unit tests: "all" (default), "none" or a list'
    )
    parser.add_argument("--sanity", default="all", help='minors that run sanity: "all" (default), "none" or a list')
    parser.add_argument(
        "--full-sanity",
        default="all",
        help='of those, the minors that run every sanity test: "all" (default), "none" or a list; '
        "the others run only %s" % ", ".join(SHORT_SANITY),
    )
    parser.add_argument(
        "--pytest-args", default="", help="extra pytest arguments for the unit tests, e.g. \"-m 'not slow'\""
    )
    args = parser.parse_args()
    cores = [core for core in MATRIX if core in minors(args.core)]
    if args.skip_running_core and running_minor() in cores:
        print("compat: leaving out %s, the ansible-core of %s (make unit, make sanity)" % (running_minor(), sys.prefix))
        cores.remove(running_minor())
    unit, sanity, full = minors(args.unit), minors(args.sanity), minors(args.full_sanity)
    started = time.monotonic()
    results = []
    for core in cores:
        kind = "none" if core not in sanity else "full" if core in full else "short"
        results += run_core(core, core in unit, kind, shlex.split(args.pytest_args))
    failed = [label for label, passed, elapsed in results if not passed]
    print(
        "compat: "
        + "; ".join("%s %.0f s%s" % (label, elapsed, "" if passed else " FAILED") for label, passed, elapsed in results)
    )
    print("compat: %s in %.0f s" % ("FAILED: " + ", ".join(failed) if failed else "passed", time.monotonic() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
