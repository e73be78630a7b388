"""Every role's interface is documented where users and Ansible look for it.

For each role in roles/: the variables of defaults/main.yml are exactly the options of the
`main` entry point in meta/argument_specs.yml (options without a default must be `required`),
every default has a comment line right above it (or on its line), the entry point has a
short_description and version_added, every option at any depth has a description, a default
written in the spec equals the one in defaults/main.yml, and every variable carries the role's
name as prefix. Reading YAML only: runs in well under a second.
"""

import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(ROOT, "roles")
TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")
ROLES = sorted(
    name
    for name in (os.listdir(ROLES_DIR) if os.path.isdir(ROLES_DIR) else [])
    if os.path.isdir(os.path.join(ROLES_DIR, name, "tasks"))
)


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read_lines(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read().splitlines()


def defaults_of(role):
    path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
    return (load_yaml(path) or {}) if os.path.exists(path) else {}


def main_spec(role):
    path = os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")
    assert os.path.exists(path), "%s: meta/argument_specs.yml is missing" % role
    specs = (load_yaml(path) or {}).get("argument_specs") or {}
    assert "main" in specs, "%s: meta/argument_specs.yml has no `main` entry point" % role
    return specs["main"]


def walk_options(options, prefix=""):
    """(dotted name, spec) for every option and sub-option."""
    for name, spec in (options or {}).items():
        yield prefix + name, spec or {}
        yield from walk_options((spec or {}).get("options"), prefix + name + ".")


def test_there_are_roles():
    assert ROLES, "no role found in %s" % ROLES_DIR


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_specs(role):
    defaults = defaults_of(role)
    options = main_spec(role).get("options") or {}
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, "%s: in defaults/main.yml but not in meta/argument_specs.yml: %s" % (role, undocumented)
    without_default = sorted(
        name for name, spec in options.items() if name not in defaults and not (spec or {}).get("required")
    )
    assert not without_default, "%s: options neither in defaults/main.yml nor `required: true`: %s" % (
        role,
        without_default,
    )
    required_with_default = sorted(
        name for name, spec in options.items() if name in defaults and (spec or {}).get("required")
    )
    assert not required_with_default, "%s: `required: true` but defaults/main.yml sets them (so never required): %s" % (
        role,
        required_with_default,
    )


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_equal_role_defaults(role):
    defaults = defaults_of(role)
    options = main_spec(role).get("options") or {}
    differing = sorted(
        "%s (spec %r, defaults %r)" % (name, spec["default"], defaults[name])
        for name, spec in options.items()
        if isinstance(spec, dict) and "default" in spec and name in defaults and spec["default"] != defaults[name]
    )
    assert not differing, "%s: meta/argument_specs.yml default differs from defaults/main.yml: %s" % (role, differing)


@pytest.mark.parametrize("role", ROLES)
def test_every_default_has_a_comment(role):
    path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
    if not os.path.exists(path):
        pytest.skip("%s has no defaults/main.yml" % role)
    lines = read_lines(path)
    uncommented = []
    for number, line in enumerate(lines):
        match = TOP_LEVEL_KEY.match(line)
        if not match:
            continue
        above = lines[number - 1].strip() if number else ""
        if not above.startswith("#") and " #" not in line:
            uncommented.append("%s (line %d)" % (match.group(1), number + 1))
    assert not uncommented, "%s: defaults/main.yml variables without a comment line above: %s" % (role, uncommented)


@pytest.mark.parametrize("role", ROLES)
def test_every_option_has_a_description(role):
    spec = main_spec(role)
    assert spec.get("short_description"), "%s: argument_specs main has no short_description" % role
    assert spec.get("version_added"), "%s: argument_specs main has no version_added (the changelog needs it)" % role
    missing = [name for name, option in walk_options(spec.get("options")) if not option.get("description")]
    assert not missing, "%s: options without a description: %s" % (role, missing)


@pytest.mark.parametrize("role", ROLES)
def test_variables_carry_the_role_prefix(role):
    names = set(defaults_of(role)) | set(main_spec(role).get("options") or {})
    unprefixed = sorted(name for name in names if not name.startswith(role + "_"))
    assert not unprefixed, "%s: variables without the prefix `%s_`: %s" % (role, role, unprefixed)


@pytest.mark.parametrize("role", ROLES)
def test_role_has_meta_main(role):
    meta = load_yaml(os.path.join(ROLES_DIR, role, "meta", "main.yml")) or {}
    info = meta.get("galaxy_info") or {}
    assert info.get("description"), "%s: meta/main.yml galaxy_info.description is missing" % role
