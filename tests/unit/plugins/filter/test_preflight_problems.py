"""aws_network_problems and exasol_teardown_problems: every problem of a role's input at once."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.virtualis.aurora.plugins.filter.preflight import (
    FilterModule,
    aws_network_problems,
    exasol_teardown_problems,
)

NETWORK = {
    "deployment": "aurora-virtualis",
    "allowed_cidrs": ["203.0.113.0/24", "2001:db8::/32"],
    "allow_any_source": False,
    "vpc_cidr": "10.42.0.0/16",
    "subnet_cidrs": ["10.42.1.0/24", "10.42.2.0/24"],
    "availability_zones": [],
}
TEARDOWN = {
    "certificate_fingerprint": "",
    "bucketfs_files": ["jars/a.jar"],
    "driver_registration": False,
    "bucketfs_url": "https://exasol-1:2581",
    "bucketfs_password": "write-secret",
    "driver_dir": "postgresql",
}


def network(**changes):
    return aws_network_problems(dict(NETWORK, **changes))


def teardown(**changes):
    return exasol_teardown_problems(dict(TEARDOWN, **changes))


def test_good_input_has_no_problem():
    assert network() == [] and teardown() == []
    assert network(availability_zones=["eu-central-1a", "eu-central-1b"]) == []
    assert network(deployment="a" * 41) == [] and network(deployment="a-1-b") == []


@pytest.mark.parametrize("name", ["", "Aurora", "1aurora", "a--b", "a-", "a_b", "a" * 42])
def test_bad_deployment_names(name):
    assert network(deployment=name) == [
        'aws_network_deployment "%s" must be 1-41 lowercase letters, digits and single hyphens, starting with a letter'
        % name
    ]


def test_cidr_problems_are_prefixed_with_their_variable():
    found = network(allowed_cidrs=["0.0.0.0/0", "10.0.0.1/24"], vpc_cidr="10.42.0.0/33")
    assert [p.split(": ")[0] for p in found] == ["aws_network_allowed_cidrs"] * 2 + [
        "aws_network_vpc_cidr/aws_network_subnet_cidrs"
    ]
    assert "whole internet" in found[0] and "host bits set" in found[1]
    assert network(allowed_cidrs=["0.0.0.0/0", "::/0"], allow_any_source="True") == []
    assert network(allowed_cidrs=[]) == ["aws_network_allowed_cidrs: the list of CIDRs is empty"]


def test_subnets_and_zones():
    assert network(subnet_cidrs=["10.42.1.0/24", "10.42.1.0/24"]) == [
        "aws_network_subnet_cidrs needs at least two distinct CIDRs (RDS needs two zones)"
    ]
    assert network(availability_zones=["eu-central-1a"]) == [
        "aws_network_availability_zones must be empty or name one zone per subnet"
    ]


@pytest.mark.parametrize(
    "fingerprint,fine",
    [("", True), ("ab" * 32, True), (":".join(["AB"] * 32), True), ("ab" * 31, False), ("zz" * 32, False)],
)
def test_fingerprint(fingerprint, fine):
    assert (teardown(certificate_fingerprint=fingerprint) == []) is fine


@pytest.mark.parametrize(
    "changes",
    [
        {"bucketfs_url": "https://w:pw@exasol-1:2581"},
        {"bucketfs_url": "http://exasol-1:2581/default"},
        {"bucketfs_url": ""},
        {"bucketfs_password": ""},
        {"bucketfs_files": [], "driver_registration": "true", "bucketfs_password": ""},
    ],
)
def test_bucketfs_address_and_password_when_needed(changes):
    found = teardown(**changes)
    assert len(found) == 1 and found[0].startswith("exasol_teardown_bucketfs_url must be http(s)://HOST:PORT")
    assert "write-secret" not in found[0]


def test_bucketfs_is_not_needed_without_files_or_registration():
    assert teardown(bucketfs_files=[], bucketfs_url="", bucketfs_password="") == []


def test_bad_bucket_paths_are_named():
    paths = [
        "/buckets/bfsdefault/default/jars/a.jar",
        "jars/../b.jar",
        "jars//c.jar",
        "./d.jar",
        "e%2e.jar",
        "/",
        "jars/f.jar",
        "jars/.hidden.jar",
    ]
    found = teardown(bucketfs_files=paths)
    assert len(found) == 1 and found[0].endswith(": " + ", ".join(paths[:6]))


@pytest.mark.parametrize(
    "directory,fine",
    [("postgresql", True), ("pg_42.7-x", True), ("../pg", False), ("a/b", False), (".hidden", False), ("", False)],
)
def test_driver_dir(directory, fine):
    assert (teardown(driver_dir=directory) == []) is fine


def test_every_problem_at_once_and_dicts_only():
    assert len(teardown(certificate_fingerprint="x", bucketfs_url="", bucketfs_files=["/"], driver_dir="")) == 4
    for name, function in (
        ("aws_network_problems", aws_network_problems),
        ("exasol_teardown_problems", exasol_teardown_problems),
    ):
        with pytest.raises(AnsibleFilterError, match="%s expects a dict" % name):
            function("x")
        assert name in FilterModule().filters()
