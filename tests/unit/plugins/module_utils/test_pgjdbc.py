"""_pgjdbc: the advisory ranges at their boundaries, per release line."""

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils import _pgjdbc


def cves(version):
    return sorted(a["cve"] for a in _pgjdbc.affecting(version))


@pytest.mark.parametrize(
    "version,expected",
    [
        # CVE-2022-21724: fixed in 42.2.25 and 42.3.2; first affected 9.4.1208
        ("42.2.24", ["CVE-2022-21724", "CVE-2022-31197", "CVE-2022-41946", "CVE-2024-1597", "CVE-2026-42198"]),
        ("42.2.25", ["CVE-2022-31197", "CVE-2022-41946", "CVE-2024-1597", "CVE-2026-42198"]),
        ("42.3.1", ["CVE-2022-21724", "CVE-2022-31197", "CVE-2022-41946", "CVE-2024-1597", "CVE-2026-42198"]),
        ("42.3.2", ["CVE-2022-31197", "CVE-2022-41946", "CVE-2024-1597", "CVE-2026-42198"]),
        ("9.4.1207", ["CVE-2022-31197", "CVE-2022-41946", "CVE-2024-1597"]),
        ("9.4.1208", ["CVE-2022-21724", "CVE-2022-31197", "CVE-2022-41946", "CVE-2024-1597"]),
        # CVE-2022-31197: fixed in 42.2.26 and 42.4.1, no 42.3.x fix
        ("42.2.26", ["CVE-2022-41946", "CVE-2024-1597", "CVE-2026-42198"]),
        ("42.3.9", ["CVE-2022-31197", "CVE-2026-42198"]),
        ("42.4.0", ["CVE-2022-31197", "CVE-2022-41946", "CVE-2024-1597", "CVE-2026-42198"]),
        # CVE-2022-41946: 42.2.27, 42.3.8, 42.4.3, 42.5.1
        ("42.2.27.jre7", ["CVE-2024-1597", "CVE-2026-42198"]),
        ("42.4.3", ["CVE-2024-1597", "CVE-2026-42198"]),
        ("42.5.0", ["CVE-2022-41946", "CVE-2024-1597", "CVE-2026-42198"]),
        # CVE-2024-1597: 42.2.28, 42.3.9, 42.4.4, 42.5.5, 42.6.1, 42.7.2
        ("42.2.28", ["CVE-2026-42198"]),
        ("42.5.4", ["CVE-2024-1597", "CVE-2026-42198"]),
        ("42.5.5", ["CVE-2026-42198"]),  # Debian bookworm's libpostgresql-jdbc-java, the lab's driver
        ("42.6.0", ["CVE-2024-1597", "CVE-2026-42198"]),
        ("42.7.1", ["CVE-2024-1597", "CVE-2026-42198"]),
        ("42.7.2", ["CVE-2026-42198"]),
        ("42.7.3", ["CVE-2026-42198"]),
        # channel binding (42.7.4 on): CVE-2025-49146 to 42.7.6, CVE-2026-54291 to 42.7.11
        ("42.7.4", ["CVE-2025-49146", "CVE-2026-107315", "CVE-2026-42198", "CVE-2026-54291"]),
        ("42.7.6", ["CVE-2025-49146", "CVE-2026-107315", "CVE-2026-42198", "CVE-2026-54291"]),
        ("42.7.7", ["CVE-2026-107315", "CVE-2026-42198", "CVE-2026-54291"]),
        ("42.7.10", ["CVE-2026-107315", "CVE-2026-42198", "CVE-2026-54291"]),
        ("42.7.11", ["CVE-2026-107314", "CVE-2026-107315", "CVE-2026-54291"]),
        ("42.7.12", ["CVE-2026-107314", "CVE-2026-107315"]),
        ("42.7.13", ["CVE-2026-107314", "CVE-2026-107315"]),  # what postgresql-virtual-schema 4.0.1/4.0.2 bundle
        ("42.7.14", []),
        ("42.8.0", []),
    ],
)
def test_affected_ranges_at_their_boundaries(version, expected):
    assert cves(version) == expected


def test_fixed_in_names_the_release_of_the_same_line():
    by_cve = {a["cve"]: a["fixed_in"] for a in _pgjdbc.affecting("42.4.2")}
    assert by_cve["CVE-2022-41946"] == "42.4.3" and by_cve["CVE-2024-1597"] == "42.4.4"
    assert by_cve["CVE-2026-42198"] == "42.7.11"


def test_first_clean_release_is_outside_every_range():
    assert _pgjdbc.affecting(_pgjdbc.dotted(_pgjdbc.FIRST_CLEAN)) == []
    for advisory in _pgjdbc.ADVISORIES:
        assert all(high <= _pgjdbc.FIRST_CLEAN for _low, high in advisory["ranges"])


def test_no_version_is_an_error():
    with pytest.raises(ValueError):
        _pgjdbc.affecting("unknown")


def test_accept_list_refuses_typos_and_unknown_ids():
    assert _pgjdbc.check_accept_list([" cve-2026-42198 "]) == ["CVE-2026-42198"]
    with pytest.raises(ValueError, match="not a CVE id"):
        _pgjdbc.check_accept_list(["42198"])
    with pytest.raises(ValueError, match="not a pgjdbc advisory"):
        _pgjdbc.check_accept_list(["CVE-2099-0001"])
