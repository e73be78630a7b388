"""galaxy.yml and meta/runtime.yml say what the code really does.

- Every collection the roles, playbooks, plugins and meta/runtime.yml use by FQCN is a
  dependency in galaxy.yml, and every dependency is used (ansible.builtin comes with ansible-core).
- Every FQCN that names a module, role or plugin of this collection, or of an installed
  dependency, exists there (catches typos such as `amazon.aws.ec2_vpc_nett`).
- Every module listed in an action group of meta/runtime.yml exists, and a module is listed in a
  group exactly when its documentation declares that membership (`attributes.action_group`);
  groups extended through `metadata.extend_group` exist in the other collection.
- requires_ansible is not below what the dependencies require, every role's min_ansible_version
  is the same version, and no plugin or role document speaks of an older ansible-core.
- A dependency that is not installed fails these tests instead of passing them unchecked.
- There is no tests/sanity/ignore-*.txt.
Reads files only; no Ansible run: well under a second.
"""

import ast
import glob
import importlib.util
import os
import re
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SELF = "virtualis.aurora"
BUILTIN = "ansible.builtin"
YAML_SOURCES = ("roles/**/*.yml", "roles/**/*.yaml", "playbooks/**/*.yml", "playbooks/**/*.yaml", "meta/runtime.yml")
FQCN = re.compile(r"(?<![\w.-])([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.([a-z_][a-z0-9_]*)(?![\w-])")
PY_IMPORT = re.compile(r"ansible_collections\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.")


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


GALAXY = load_yaml(os.path.join(ROOT, "galaxy.yml"))
RUNTIME = load_yaml(os.path.join(ROOT, "meta", "runtime.yml"))
MODULES = sorted(
    os.path.basename(p)[:-3]
    for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
    if not os.path.basename(p).startswith("_")
)


def installed_collection_dir(name):
    """Directory of an installed collection (the `ansible` package in .venv, or ~/.ansible)."""
    namespace, collection = name.split(".")
    if name == SELF:
        return ROOT
    search = list(sys.path) + [os.path.expanduser("~/.ansible/collections"), "/usr/share/ansible/collections"]
    for entry in search:
        candidate = os.path.join(entry, "ansible_collections", namespace, collection)
        if entry and os.path.isfile(os.path.join(candidate, "MANIFEST.json")):
            return candidate
    return None


def ansible_core_dir():
    spec = importlib.util.find_spec("ansible")
    return os.path.dirname(spec.origin)


def python_files():
    return glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True)


def module_documentation(path, strict=True):
    """The DOCUMENTATION of a module as a dict (parsed from the source, not imported).

    Not strict: a DOCUMENTATION that does not parse counts as empty (sanity reports it), so that
    one broken module does not hide what the collection-wide tests find elsewhere.
    """
    for node in ast.parse(read(path)).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            try:
                return yaml.safe_load(node.value.value) or {}
            except yaml.YAMLError:
                if strict:
                    raise
                return {}
    return {}


def fqcn_uses():
    """{(namespace, collection, name): [file, ...]} for every FQCN the collection's content uses."""
    uses = {}

    def add(key, path):
        uses.setdefault(key, []).append(os.path.relpath(path, ROOT))

    for pattern in YAML_SOURCES:
        for path in glob.glob(os.path.join(ROOT, pattern), recursive=True):
            if "/molecule/" in path:  # test scenarios: what they use is not a runtime dependency
                continue
            for match in FQCN.finditer(read(path)):
                add(match.groups(), path)
    for path in python_files():
        for match in PY_IMPORT.finditer(read(path)):
            add(match.groups() + ("",), path)
        if "/plugins/modules/" in path:
            for fragment in module_documentation(path, strict=False).get("extends_documentation_fragment") or []:
                parts = fragment.split(".")
                if len(parts) >= 3:
                    add(tuple(parts[:3]), path)
    return uses


def is_collection(namespace, collection):
    full = "%s.%s" % (namespace, collection)
    return full in (SELF, BUILTIN) or full in (GALAXY.get("dependencies") or {}) or installed_collection_dir(full)


def used_collections():
    used = {}
    for (namespace, collection, _name), files in fqcn_uses().items():
        if is_collection(namespace, collection):
            used.setdefault("%s.%s" % (namespace, collection), set()).update(files)
    return used


def plugin_names(base, plugin_dirs):
    """Module, role and plugin names a collection (or ansible-core) provides."""
    names = set()
    for kind in plugin_dirs:
        for path in glob.glob(os.path.join(base, kind, "*")):
            stem = os.path.splitext(os.path.basename(path))[0]
            names.add(stem)
            if kind in (
                "plugins/filter",
                "plugins/test",
                "plugins/filter_plugins",
                "plugins/test_plugins",
            ) and path.endswith(".py"):
                names.update(re.findall(r"""['"]([a-z_][a-z0-9_]*)['"]\s*:""", read(path)))
    for path in glob.glob(os.path.join(base, "plugins", "doc_fragments", "*.py")):
        stem = os.path.splitext(os.path.basename(path))[0]
        names.add(stem.lstrip("_"))
    return names


def collection_names(full):
    if full == BUILTIN:
        core = ansible_core_dir()
        names = plugin_names(core, ["modules"])
        kinds = [
            "filter",
            "test",
            "lookup",
            "callback",
            "connection",
            "become",
            "inventory",
            "strategy",
            "action",
            "cache",
            "vars",
            "shell",
            "doc_fragments",
        ]
        names |= plugin_names(os.path.join(core, "plugins"), kinds)
        return names
    base = installed_collection_dir(full)
    if base is None:
        return None
    names = plugin_names(
        base,
        ["roles"]
        + [
            "plugins/" + kind
            for kind in (
                "modules",
                "action",
                "filter",
                "test",
                "lookup",
                "inventory",
                "callback",
                "connection",
                "module_utils",
                "doc_fragments",
                "become",
                "cache",
                "vars",
                "plugin_utils",
            )
        ],
    )
    runtime_path = os.path.join(base, "meta", "runtime.yml")
    runtime = load_yaml(runtime_path) if os.path.exists(runtime_path) else {}
    for routes in (runtime.get("plugin_routing") or {}).values():
        names.update(routes or {})
    names.update(runtime.get("action_groups") or {})
    return names


def test_galaxy_dependencies_are_the_collections_used():
    used = used_collections()
    needed = sorted(set(used) - {SELF, BUILTIN})
    declared = sorted(GALAXY.get("dependencies") or {})
    missing = {name: sorted(used[name])[:3] for name in needed if name not in declared}
    assert not missing, "collections used but not in galaxy.yml dependencies: %s" % missing
    unused = [name for name in declared if name not in used]
    assert not unused, "galaxy.yml dependencies that nothing uses: %s" % unused


def test_fqcns_resolve():
    unresolved = []
    names_by_collection = {}
    for (namespace, collection, name), files in sorted(fqcn_uses().items()):
        full = "%s.%s" % (namespace, collection)
        if not name or not is_collection(namespace, collection):
            continue
        if full not in names_by_collection:
            names_by_collection[full] = collection_names(full)
        names = names_by_collection[full]
        if names is None:  # a declared dependency that is not installed: nothing can be resolved
            unresolved.append(
                "%s.%s (in %s): %s is not installed" % (full, name, ", ".join(sorted(set(files))[:3]), full)
            )
        elif name not in names:
            unresolved.append("%s.%s (in %s)" % (full, name, ", ".join(sorted(set(files))[:3])))
    assert not unresolved, "FQCNs that name nothing in their collection: %s" % unresolved


def action_group_entries():
    for group, entries in (RUNTIME.get("action_groups") or {}).items():
        for entry in entries or []:
            yield group, entry


def test_action_group_modules_exist():
    missing = sorted(
        "%s: %s" % (group, entry)
        for group, entry in action_group_entries()
        if isinstance(entry, str) and entry.split(".")[-1] not in MODULES
    )
    assert not missing, "meta/runtime.yml action_groups list modules that plugins/modules lacks: %s" % missing


def test_extended_groups_exist():
    unknown = []
    for group, entry in action_group_entries():
        if not isinstance(entry, dict):
            continue
        for extended in (entry.get("metadata") or {}).get("extend_group") or []:
            namespace, collection, name = extended.split(".")
            base = installed_collection_dir("%s.%s" % (namespace, collection))
            groups = (load_yaml(os.path.join(base, "meta", "runtime.yml")).get("action_groups") or {}) if base else {}
            if name not in groups:
                unknown.append("%s extends %s" % (group, extended))
    assert not unknown, "meta/runtime.yml extends action groups that do not exist: %s" % unknown


def fragment_attributes():
    """{fragment name: attributes dict} for this collection's doc fragments."""
    result = {}
    for path in glob.glob(os.path.join(ROOT, "plugins", "doc_fragments", "*.py")):
        spec = importlib.util.spec_from_file_location("_fragment_" + os.path.basename(path)[:-3], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        base = "%s.%s" % (SELF, os.path.basename(path)[:-3])
        for attribute in dir(module.ModuleDocFragment):
            if attribute.isupper():
                doc = yaml.safe_load(getattr(module.ModuleDocFragment, attribute)) or {}
                name = base if attribute == "DOCUMENTATION" else "%s.%s" % (base, attribute.lower())
                result[name] = doc.get("attributes") or {}
    return result


def documented_memberships(module):
    doc = module_documentation(os.path.join(ROOT, "plugins", "modules", module + ".py"))
    fragments = fragment_attributes()
    action_group = dict((doc.get("attributes") or {}).get("action_group") or {})
    for fragment in doc.get("extends_documentation_fragment") or []:
        inherited = fragments.get(fragment, {}).get("action_group")
        if inherited:
            action_group = dict(inherited, **action_group)
    return set(action_group.get("membership") or [])


@pytest.mark.parametrize("module", MODULES)
def test_action_group_membership_is_documented(module):
    listed = {
        "%s.%s" % (SELF, group)
        for group, entry in action_group_entries()
        if isinstance(entry, str) and entry.split(".")[-1] == module
    }
    documented = documented_memberships(module)
    assert listed == documented, "%s: meta/runtime.yml lists it in %s, its documentation declares membership of %s" % (
        module,
        sorted(listed) or "no group",
        sorted(documented) or "no group",
    )


def test_no_sanity_ignore_files():
    """What ansible-test sanity reports is fixed in the code, never listed in an ignore file."""
    ignores = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "tests", "sanity", "ignore-*.txt")))
    assert not ignores, "sanity ignore files are not allowed here: %s" % ignores


def version_floor(spec):
    """The lower bound of a `>=X.Y.Z` requirement as a tuple, or None."""
    match = re.search(r">=\s*(\d+(?:\.\d+)*)", spec or "")
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def test_requires_ansible_is_not_below_what_the_dependencies_require():
    ours = version_floor(RUNTIME.get("requires_ansible"))
    assert ours, 'meta/runtime.yml has no `requires_ansible: ">=X.Y.Z"`'
    too_low = []
    for name in GALAXY.get("dependencies") or {}:
        base = installed_collection_dir(name)
        assert base, "dependency %s is not installed: its requires_ansible cannot be compared" % name
        theirs = version_floor(load_yaml(os.path.join(base, "meta", "runtime.yml")).get("requires_ansible"))
        if theirs and theirs > ours:
            too_low.append("%s needs ansible-core %s" % (name, ".".join(map(str, theirs))))
    assert not too_low, "meta/runtime.yml requires_ansible %s is below what dependencies need: %s" % (
        RUNTIME.get("requires_ansible"),
        too_low,
    )


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


ANSIBLE_CORE_MENTION = re.compile(r"ansible-core\s+(\d+\.\d+)\b")


def test_one_minimum_ansible_core_everywhere():
    """meta/runtime.yml's requires_ansible is the one truth: every role's min_ansible_version says
    the same, and no module, plugin or role document speaks of an older ansible-core."""
    floor = version_floor(RUNTIME.get("requires_ansible"))
    assert floor, 'meta/runtime.yml has no `requires_ansible: ">=X.Y.Z"`'
    roles = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "main.yml")))
    assert roles
    wrong = {}
    for path in roles:
        declared = str((load_yaml(path).get("galaxy_info") or {}).get("min_ansible_version", ""))
        if not declared or version_tuple(declared) != floor[: len(version_tuple(declared))]:
            wrong[os.path.relpath(path, ROOT)] = declared
    assert not wrong, "min_ansible_version differs from requires_ansible %s: %s" % (RUNTIME["requires_ansible"], wrong)
    documents = (
        python_files()
        + glob.glob(os.path.join(ROOT, "plugins", "**", "*.yml"), recursive=True)
        + glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))
    )
    older = sorted(
        "%s: ansible-core %s" % (os.path.relpath(path, ROOT), match.group(1))
        for path in documents
        for match in ANSIBLE_CORE_MENTION.finditer(read(path))
        if version_tuple(match.group(1)) < floor[:2]
    )
    assert not older, "documents that speak of an ansible-core older than requires_ansible %s: %s" % (
        RUNTIME["requires_ansible"],
        older,
    )


def test_a_missing_dependency_fails_the_checks_instead_of_passing(monkeypatch):
    """Issue 11 item 19: with community.postgresql not installed, 0.1.0's test_fqcns_resolve and
    requires_ansible test passed without checking anything."""
    real = installed_collection_dir
    monkeypatch.setattr(
        sys.modules[__name__],
        "installed_collection_dir",
        lambda name: None if name == "community.postgresql" else real(name),
    )
    with pytest.raises(AssertionError, match=r"community.postgresql is not installed"):
        test_fqcns_resolve()
    with pytest.raises(AssertionError, match=r"dependency community.postgresql is not installed"):
        test_requires_ansible_is_not_below_what_the_dependencies_require()
