"""README.md is in step with the roles: its variables tables are what docs/gen_role_vars.py makes."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.spawns
def test_readme_variables_tables_are_generated_from_argument_specs():
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "docs", "gen_role_vars.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, "%s\n%s" % (result.stderr, result.stdout[-3000:])


def test_readme_names_the_two_commands_and_every_role():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert "make demo" in readme and "make test" in readme
    roles = sorted(os.listdir(os.path.join(ROOT, "roles")))
    missing = [role for role in roles if "### virtualis.aurora.%s" % role not in readme]
    assert not missing, "roles without a section in README.md: %s" % missing
