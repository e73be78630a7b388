"""rds_ca_roots / trust_audit_report: the CA identifier's roots of the real RDS bundle, and the audit report."""

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.virtualis.aurora.plugins.filter.trust_audit import (
    FilterModule,
    rds_ca_roots,
    store_jvm,
    trust_audit_report,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "rds")


def bundle(name="global-bundle.pem"):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.mark.parametrize(
    "identifier,key",
    [("rds-ca-rsa2048-g1", "RSA2048"), ("rds-ca-rsa4096-g1", "RSA4096"), ("rds-ca-ecc384-g1", "ECC384")],
)
def test_one_root_per_identifier_and_region(identifier, key):
    roots = rds_ca_roots(bundle(), identifier, "eu-central-1")
    assert [r["identifier"] for r in roots] == [identifier]
    assert "CN=Amazon RDS eu-central-1 Root CA %s G1" % key in roots[0]["subject"]
    assert roots[0]["common_name"] == "Amazon RDS eu-central-1 Root CA %s G1" % key
    assert roots[0]["pem"].startswith("-----BEGIN CERTIFICATE-----\n")


def test_beta_and_preview_sets_are_not_the_region_s_ca():
    roots = rds_ca_roots(bundle(), ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1"], "us-east-1")
    assert len(roots) == 2 and not any("Beta" in r["subject"] for r in roots)


def test_subjects_name_the_roots_of_a_private_ca():
    roots = rds_ca_roots(
        bundle("eu-central-1-bundle.pem"),
        "rds-ca-rsa2048-g1",
        "",
        {"rds-ca-rsa2048-g1": "Amazon RDS eu-central-1 Root CA ECC384 G1"},
    )
    assert "ECC384" in roots[0]["subject"]


@pytest.mark.parametrize(
    "args,message",
    [
        (("rds-ca-rsa2048-g1", "mars-north-1"), "holds no root of rds-ca-rsa2048-g1 for region 'mars-north-1'"),
        (("rds-ca-2019", "eu-central-1"), "unknown CA identifier 'rds-ca-2019'"),
        (("rds-ca-rsa2048-g1", ""), "the region is empty"),
    ],
)
def test_bad_input_is_explained(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        rds_ca_roots(bundle("eu-central-1-bundle.pem"), *args)


def test_a_corrupted_bundle_is_refused():
    with pytest.raises(AnsibleFilterError, match="rds_ca_roots: .*no PEM certificate"):
        rds_ca_roots("not a bundle", "rds-ca-rsa2048-g1", "eu-central-1")


@pytest.mark.parametrize(
    "path,discovered,jvm",
    [
        ("/etc/pki/ca-trust/extracted/java/cacerts", None, "loader"),
        ("/opt/exasol/runtime-8.8.0-jdk/lib/security/cacerts", None, "loader"),
        ("/usr/opt/EXASuite-7/x/ScriptLanguages-a/usr/lib/jvm/j/lib/security/cacerts", None, "adapter"),
        ("/x/cacerts", [{"path": "/x/cacerts", "jvm": "loader"}], "loader"),
    ],
)
def test_store_jvm(path, discovered, jvm):
    assert store_jvm(path, discovered) == jvm


ROOTS = [
    {
        "identifier": "rds-ca-rsa4096-g1",
        "subject": "O=Lab, CN=R4096",
        "common_name": "R4096",
        "sha256": "aa",
        "not_after": "x",
        "pem": "p",
    }
]
SLC = "/usr/opt/EXASuite-7/E/var/clients/packages/ScriptLanguages-s/usr/lib/jvm/j/lib/security/cacerts"
CENTRAL = "/etc/pki/ca-trust/extracted/java/cacerts"


def good(path):
    return {"path": path, "type": "jks", "error": None, "missing": [], "handshake": {"ok": True}}


def test_healthy_nodes_give_one_ok_line_per_node_and_store():
    hostvars = {n: {"trust_audit_result": {"stores": [good(CENTRAL), good(SLC)]}} for n in ("node1", "node2")}
    report = trust_audit_report(hostvars, ["node1", "node2"], ROOTS, {"identifier": "aurora-lab"})
    assert report["ok"] and report["failures"] == [] and len(report["lines"]) == 4
    assert report["lines"][0].split()[:4] == ["node1", "loader", "ok", CENTRAL]
    assert report["roots"] == [
        {"identifier": "rds-ca-rsa4096-g1", "subject": "O=Lab, CN=R4096", "sha256": "aa", "not_after": "x"}
    ]


def test_failures_name_node_jvm_store_and_the_lacking_ca():
    lacking = dict(
        good(SLC),
        missing=[{"sha256": "aa", "subject": "O=Lab, CN=R4096"}],
        handshake={"ok": False, "error_type": "verify", "error": "unable to get local issuer certificate"},
    )
    hostvars = {
        "node1": {"trust_audit_result": {"stores": [good(CENTRAL)]}},
        "node2": {"trust_audit_result": {"stores": [good(CENTRAL), lacking]}},
        "node3": {"trust_audit_result": {"unreachable": True, "msg": "ssh: connect refused"}},
    }
    report = trust_audit_report(hostvars, ["node1", "node2", "node3"], ROOTS)
    assert not report["ok"]
    assert report["failures"] == [
        "node2 adapter store %s: lacks rds-ca-rsa4096-g1 (R4096)" % SLC,
        "node2 adapter store %s: handshake failed (verify): unable to get local issuer certificate" % SLC,
        "node3: unreachable: ssh: connect refused",
    ]
    assert [line.split()[2] for line in report["lines"]] == ["ok", "ok", "FAIL", "FAIL"]


def test_the_module_s_jvm_comes_first():
    store = dict(good("/opt/custom/cacerts"), jvm="loader")
    report = trust_audit_report({"node1": {"trust_audit_result": {"stores": [store]}}}, ["node1"], ROOTS)
    assert report["stores"][0]["jvm"] == "loader"


def test_no_store_at_all_is_a_failure():
    report = trust_audit_report({"node1": {"trust_audit_error": "discover found no truststore"}}, ["node1"], ROOTS)
    assert not report["ok"] and report["failures"] == ["node1: failed: discover found no truststore"]


def test_hosts_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="hosts must be a list"):
        trust_audit_report({}, "node1", ROOTS)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"rds_ca_roots", "trust_audit_report"}
