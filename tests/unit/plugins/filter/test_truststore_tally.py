"""truststore_tally / truststore_too_many_failed: the exasol_truststore summary, in-process."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.virtualis.aurora.plugins.filter.truststore_tally import (
    FilterModule,
    truststore_tally,
    truststore_too_many_failed,
)

STORES = {
    "stores": [{"changed": True}, {"changed": False}],
    "discovered": ["/slc/cacerts"],
    "weak_keys": [{"certificate": "old-ca"}],
}
HOSTVARS = {
    "ok": {"exasol_truststore_result": STORES},
    "down": {"exasol_truststore_result": {"unreachable": True, "msg": "ssh: refused"}},
    "broken": {"exasol_truststore_result": {"failed": True}, "exasol_truststore_error": "discover found no truststore"},
    "skipped": {},
}


def test_one_batch():
    tally = truststore_tally({}, "r1", ["ok", "down", "broken", "skipped"], HOSTVARS)
    assert tally == {
        "run": "r1",
        "done": ["ok", "down", "broken", "skipped"],
        "failed": {
            "down": "unreachable: ssh: refused",
            "broken": "failed: discover found no truststore",
            "skipped": "not run",
        },
        "weak_keys": ["old-ca"],
        "batch": ["ok: 2 stores (1 discovered), 1 changed"],
    }


def test_batches_add_up_and_another_run_starts_afresh():
    first = truststore_tally({}, "r1", ["broken"], HOSTVARS)
    second = truststore_tally(first, "r1", ["ok"], HOSTVARS)
    assert second["done"] == ["broken", "ok"] and list(second["failed"]) == ["broken"]
    assert second["batch"] == ["ok: 2 stores (1 discovered), 1 changed"]  # this batch's lines only
    assert truststore_tally(second, "r2", ["ok"], HOSTVARS)["done"] == ["ok"]


@pytest.mark.parametrize("percentage,expected", [(0, True), ("0", True), (49, True), ("50", False), (100, False)])
def test_too_many_failed_counts_strings_as_numbers(percentage, expected):
    """Issue 11 item 15: `-e exasol_truststore_max_fail_percentage=50` is the string '50'; 0.1.0
    multiplied it (string repetition) instead of comparing numbers."""
    tally = {"done": ["a", "b"], "failed": {"a": "failed: x"}}
    assert truststore_too_many_failed(tally, percentage) is expected


def test_bad_input_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="whole number"):
        truststore_too_many_failed({"done": [], "failed": {}}, "ten")
    with pytest.raises(AnsibleFilterError, match="must be a list of hosts"):
        truststore_tally({}, "r", "ok", HOSTVARS)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"truststore_tally", "truststore_too_many_failed"}
