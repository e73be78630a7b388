"""cidr_check: one clear sentence per unacceptable source CIDR, nothing for good ones."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.virtualis.aurora.plugins.filter.cidr_check import FilterModule, cidr_check


@pytest.mark.parametrize("good", [["203.0.113.0/24"], ["198.51.100.7/32", "2001:db8::/32"], ["10.0.0.0/8"]])
def test_good_cidrs_have_no_problem(good):
    assert cidr_check(good) == []


@pytest.mark.parametrize(
    "bad,expected",
    [
        ("10.0.0.300/32", "is not a CIDR"),
        ("203.0.113.9", "no prefix length (write 203.0.113.9/32"),
        ("10.0.0.1/24", "host bits set: the network is 10.0.0.0/24"),
        ("0.0.0.0/0", "whole internet"),
        ("::/0", "whole internet"),
        ("example.com/24", "is not a CIDR"),
        (42, "is not a string"),
    ],
)
def test_bad_cidrs_are_explained(bad, expected):
    problems = cidr_check(["192.0.2.0/24", bad])
    assert len(problems) == 1 and expected in problems[0]


def test_any_source_only_when_allowed():
    assert cidr_check(["0.0.0.0/0", "::/0"], True) == []


def test_empty_list_is_a_problem():
    assert cidr_check([]) == ["the list of CIDRs is empty"]


def test_a_string_instead_of_a_list_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        cidr_check("203.0.113.0/24")


def test_filter_is_registered():
    assert FilterModule().filters()["cidr_check"] is cidr_check
