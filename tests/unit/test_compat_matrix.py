"""The ansible-core matrix (tests/compat/matrix.py) covers exactly what meta/runtime.yml promises.

- Its oldest row is requires_ansible's minimum, and its rows are consecutive minors: no supported
  ansible-core goes untested.
- Every row runs on a Python that ansible-core release supports on the controller.
- The venv stamp changes when the Python or a requirement changes (so `make compat` reinstalls)
  and stays the same otherwise (so it does not).
- A dependency whose requires_ansible excludes the venv's ansible-core is refused.
Reads files only: well under a second.
"""

import importlib.util
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Controller Pythons per ansible-core minor: ansible-core's python_requires and ansible-test's
# CONTROLLER_PYTHON_VERSIONS of each release (read off 2.17.14, 2.18.19, 2.19.14, 2.20.10, 2.21.5).
CONTROLLER_PYTHONS = {
    "2.17": ("3.10", "3.11", "3.12"),
    "2.18": ("3.11", "3.12", "3.13"),
    "2.19": ("3.11", "3.12", "3.13"),
    "2.20": ("3.12", "3.13", "3.14"),
    "2.21": ("3.12", "3.13", "3.14"),
}


def load_matrix():
    spec = importlib.util.spec_from_file_location("compat_matrix", os.path.join(ROOT, "tests", "compat", "matrix.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


matrix = load_matrix()


def minor_tuple(minor):
    return tuple(int(part) for part in minor.split("."))


def test_oldest_row_is_requires_ansible_and_rows_are_consecutive():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        requires = yaml.safe_load(handle)["requires_ansible"]
    assert requires.startswith(">=")
    minimum = ".".join(requires[2:].split(".")[:2])
    rows = sorted(matrix.MATRIX, key=minor_tuple)
    assert rows[0] == minimum
    assert [minor_tuple(row)[1] for row in rows] == list(range(minor_tuple(rows[0])[1], minor_tuple(rows[-1])[1] + 1))


@pytest.mark.parametrize("minor", sorted(matrix.MATRIX))
def test_each_row_runs_on_a_python_its_release_supports(minor):
    assert matrix.MATRIX[minor] in CONTROLLER_PYTHONS[minor]


def test_stamp_follows_python_and_requirements(monkeypatch, tmp_path):
    stamp = matrix.wanted_stamp("2.17")
    assert stamp.splitlines()[:2] == ["python " + matrix.MATRIX["2.17"], "ansible-core>=2.17,<2.18"]
    assert matrix.wanted_stamp("2.17") == stamp
    assert "ansible-core>=2.21,<2.22" in matrix.wanted_stamp("2.21")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\npytest>=8,<10\n\ncryptography>=42,<52\n")
    monkeypatch.setattr(matrix, "REQUIREMENTS", str(requirements))
    assert matrix.wanted_stamp("2.17").splitlines()[2:] == ["pytest>=8,<10", "cryptography>=42,<52"]
    monkeypatch.setitem(matrix.MATRIX, "2.17", "3.11")
    assert matrix.wanted_stamp("2.17").splitlines()[0] == "python 3.11"


def test_dependency_that_excludes_the_core_is_refused(tmp_path):
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "runtime.yml").write_text('requires_ansible: ">=2.18.0"\n')
    matrix.check_requires_ansible("amazon.aws", str(tmp_path), "2.18.3")
    with pytest.raises(SystemExit, match=r"amazon.aws .* requires ansible-core >=2.18.0, not 2.17.14"):
        matrix.check_requires_ansible("amazon.aws", str(tmp_path), "2.17.14")


def test_minor_lists_are_checked():
    assert matrix.minors("all") == set(matrix.MATRIX) and matrix.minors("none") == set()
    assert matrix.minors("2.17 2.21") == {"2.17", "2.21"}
    with pytest.raises(SystemExit, match="not in the matrix: 2.16"):
        matrix.minors("2.16 2.17")
