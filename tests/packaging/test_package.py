"""The collection as users get it: built, installed into a clean Python, documented from there.

`make package` runs this file. It builds the tarball into .build/ with `ansible-galaxy collection
build` (what a release publishes), creates a fresh virtual environment with nothing but
ansible-core (once from the range in requirements-dev.txt, once the oldest minor release that
meta/runtime.yml's requires_ansible admits, on the Python tests/compat/matrix.py gives it), installs the tarball and its dependencies
there with `ansible-galaxy collection install --offline` (the dependencies come from the
`ansible` package in .venv, since no Galaxy server is reachable; their versions must satisfy
galaxy.yml), and runs `ansible-doc` for every module, role and filter from that environment,
outside this checkout and without its ansible.cfg. Under a minute, most of it pip.
"""

import glob
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.path.join(ROOT, ".build")
BIN = os.path.dirname(sys.executable)
GALAXY = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8"))
FQCN = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])
MODULES = sorted(
    os.path.basename(p)[:-3]
    for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
    if not os.path.basename(p).startswith("_")
)
ROLES = sorted(
    os.path.basename(os.path.dirname(os.path.dirname(p)))
    for p in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))
)
# What must never ship: developer state, caches, the lab (emulators, their state and secrets, its
# inventory and benchmarks are test equipment), build output.
FORBIDDEN = re.compile(
    r"(^|/)(\.venv[^/]*|\.build|\.collections|\.git|\.cache|\.pytest_cache|\.benchmarks|\.ansible|__pycache__)(/|$)"
    r"|^tests/lab(/|$)|^tests/bench(/|$)|^inventory/lab(/|$)|^tests/output(/|$)|\.pyc$|\.retry$|\.tar\.gz$|^changelogs/\.plugin-cache\.yaml$"
)
REQUIRED = [
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "CHANGELOG.rst",
    "meta/runtime.yml",
    "changelogs/changelog.yaml",
]


def run(command, **kwargs):
    """Run a command; on failure the assertion shows its output."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, "%s failed (%d):\n%s\n%s" % (
        " ".join(command),
        result.returncode,
        result.stdout[-4000:],
        result.stderr[-4000:],
    )
    return result.stdout


def ansible_core_requirement(which):
    """`tested`: the ansible-core line of requirements-dev.txt (what the collection is developed
    with); `oldest`: the oldest minor release meta/runtime.yml's requires_ansible admits."""
    if which == "oldest":
        with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
            floor = re.search(r">=\s*(\d+)\.(\d+)", yaml.safe_load(handle)["requires_ansible"])
        major, minor = int(floor.group(1)), int(floor.group(2))
        return "ansible-core>=%d.%d,<%d.%d" % (major, minor, major, minor + 1)
    with open(os.path.join(ROOT, "requirements-dev.txt"), encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#")[0].strip()
            if re.match(r"ansible-core\b", line):
                return line
    return "ansible-core"


def base_python(requirement):
    """The Python of the clean venv: for the oldest minor the one tests/compat/matrix.py runs it on
    (ansible-core 2.17 does not support .venv's 3.13 on the controller) where the machine has it,
    else the running one."""
    spec = importlib.util.spec_from_file_location("compat_matrix", os.path.join(ROOT, "tests", "compat", "matrix.py"))
    matrix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(matrix)
    minor = re.search(r">=(\d+\.\d+)", requirement).group(1)
    return matrix.sanity_run.find_python(matrix.MATRIX[minor]) if minor in matrix.MATRIX else None


def dependency_sources():
    """Directories of the installed dependencies (from the `ansible` package in .venv)."""
    sources = []
    for name in GALAXY.get("dependencies") or {}:
        namespace, collection = name.split(".")
        found = [os.path.join(entry, "ansible_collections", namespace, collection) for entry in sys.path if entry]
        found = [path for path in found if os.path.isfile(os.path.join(path, "MANIFEST.json"))]
        assert found, "dependency %s is not installed in %s: run `make venv`" % (name, sys.prefix)
        sources.append(found[0])
    return sources


@pytest.fixture(scope="module")
def tarball():
    os.makedirs(BUILD_DIR, exist_ok=True)
    expected = os.path.join(BUILD_DIR, "%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"]))
    run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", BUILD_DIR, ROOT],
        cwd=ROOT,
    )
    assert os.path.isfile(expected)
    return expected


@pytest.fixture(scope="module", params=["tested", "oldest"])
def clean_env(request, tarball, tmp_path_factory):
    """A venv with only ansible-core (the tested range, then the oldest that requires_ansible
    admits) and the installed tarball; environment to run its tools."""
    base = tmp_path_factory.mktemp("package-%s" % request.param)
    venv = str(base / "venv")
    collections = str(base / "collections")
    home = str(base / "home")
    os.makedirs(home)
    requirement = ansible_core_requirement(request.param)
    python = base_python(requirement) if request.param == "oldest" else None
    run([python or sys.executable, "-m", "venv", venv])
    run([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement])
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(
        HOME=home,
        PATH=os.path.join(venv, "bin") + os.pathsep + "/usr/bin:/bin",
        ANSIBLE_COLLECTIONS_PATH=collections,
        ANSIBLE_NOCOLOR="1",
    )
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    run(
        [os.path.join(venv, "bin", "ansible-galaxy"), "collection", "install", "--offline", "-p", collections, tarball]
        + dependency_sources(),
        env=env,
        cwd=str(base),
    )
    return {"env": env, "cwd": str(base), "bin": os.path.join(venv, "bin"), "collections": collections}


def tool(clean_env, name, *args):
    return run([os.path.join(clean_env["bin"], name)] + list(args), env=clean_env["env"], cwd=clean_env["cwd"])


def test_tarball_holds_what_users_need_and_nothing_else(tarball):
    with tarfile.open(tarball) as archive:
        names = [member.name.lstrip("./") for member in archive.getmembers()]
    forbidden = sorted(name for name in names if FORBIDDEN.search(name))
    assert not forbidden, "the tarball ships files it must not (add them to build_ignore): %s" % forbidden[:20]
    missing = [name for name in REQUIRED + ["plugins/modules/%s.py" % m for m in MODULES] if name not in names]
    assert not missing, "the tarball lacks %s" % missing
    assert os.path.getsize(tarball) < 5 * 1024 * 1024, "the tarball is larger than 5 MiB"


def test_tarball_leaves_the_lab_out_but_keeps_the_example_inventory(tarball):
    """The lab (emulators, their inventory, benchmarks) is test equipment; users get the example."""
    with tarfile.open(tarball) as archive:
        names = [member.name.lstrip("./") for member in archive.getmembers()]
    lab = [
        name for name in names if name.split("/")[:2] in (["tests", "lab"], ["tests", "bench"], ["inventory", "lab"])
    ]
    assert not lab, "the tarball ships lab files: %s" % lab[:10]
    assert any(name.startswith("inventory/example/") for name in names), "the example inventory is missing"


def test_installed_collection_matches_its_manifest(clean_env):
    tool(clean_env, "ansible-galaxy", "collection", "verify", "--offline", "-p", clean_env["collections"], FQCN)


def test_every_module_is_listed(clean_env):
    listed = json.loads(tool(clean_env, "ansible-doc", "--json", "-t", "module", "-l", FQCN))
    assert sorted(name.split(".")[-1] for name in listed) == MODULES


@pytest.mark.parametrize("module", MODULES)
def test_module_documentation_renders(clean_env, module):
    docs = json.loads(tool(clean_env, "ansible-doc", "--json", "-t", "module", "%s.%s" % (FQCN, module)))
    entry = docs["%s.%s" % (FQCN, module)]
    assert entry["doc"].get("version_added"), "%s: no version_added" % module
    assert entry.get("examples"), "%s: no EXAMPLES" % module
    assert entry.get("return") is not None, "%s: no RETURN" % module
    tool(clean_env, "ansible-doc", "-t", "module", "%s.%s" % (FQCN, module))  # the text rendering too


@pytest.mark.parametrize("role", ROLES)
def test_role_documentation_renders(clean_env, role):
    docs = json.loads(tool(clean_env, "ansible-doc", "--json", "-t", "role", "%s.%s" % (FQCN, role)))
    assert docs["%s.%s" % (FQCN, role)]["entry_points"]["main"].get("options"), "%s: no options documented" % role


def test_filters_are_documented(clean_env):
    filters = json.loads(tool(clean_env, "ansible-doc", "--json", "-t", "filter", "-l", FQCN))
    for name in filters:
        docs = json.loads(tool(clean_env, "ansible-doc", "--json", "-t", "filter", name))
        assert docs[name]["doc"].get("description"), "%s: no description" % name


def test_execution_environment_dependencies_are_introspected(clean_env):
    """ansible-builder finds meta/execution-environment.yml in the installed collection."""
    found = run(
        [os.path.join(BIN, "ansible-builder"), "introspect", "--sanitize", clean_env["collections"]],
        cwd=clean_env["cwd"],
    )
    ours = [line for line in found.splitlines() if "from collection %s" % FQCN in line]
    with open(os.path.join(ROOT, "meta", "ee-requirements.txt"), encoding="utf-8") as handle:
        wanted = [line.split("#")[0].strip() for line in handle if line.split("#")[0].strip()]
    missing = [requirement for requirement in wanted if not any(requirement in line for line in ours)]
    assert not missing, "ansible-builder introspect does not see %s:\n%s" % (missing, found)
    assert any("openssh" in line for line in ours), "system dependencies (meta/ee-bindep.txt) not found:\n" + found


def test_execution_environment_definition_creates_a_build_context(tarball, tmp_path):
    """docs/ee/execution-environment.yml names the tarball of this version and ansible-builder accepts it."""
    definition = os.path.join(ROOT, "docs", "ee", "execution-environment.yml")
    with open(definition, encoding="utf-8") as handle:
        sources = [entry["src"] for entry in yaml.safe_load(handle).get("additional_build_files") or []]
    assert any(os.path.basename(src) == os.path.basename(tarball) for src in sources), (
        "docs/ee/execution-environment.yml does not copy %s (galaxy.yml version changed?)" % os.path.basename(tarball)
    )
    context = str(tmp_path / "context")
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", definition, "-c", context], cwd=ROOT)
    assert os.path.isfile(os.path.join(context, "_build", "collections", os.path.basename(tarball)))
    with open(os.path.join(ROOT, "docs", "ee", "requirements.yml"), encoding="utf-8") as handle:
        names = [c["name"] for c in yaml.safe_load(handle)["collections"]]
    assert "/build/collections/" + os.path.basename(tarball) in names
    assert set(GALAXY.get("dependencies") or {}) <= set(names), "docs/ee/requirements.yml lacks a dependency"
    containerfile = [name for name in ("Containerfile", "Dockerfile") if os.path.exists(os.path.join(context, name))]
    assert containerfile, "ansible-builder wrote no Containerfile"
