"""The lab's stand-ins for the RDS CA identifiers (issue 14 item 4; no lab processes needed)."""

import os

import pytest

from components import ca
from lab import Lab, LabError


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return Lab(str(tmp_path_factory.mktemp("lab-ca")))


@pytest.fixture(scope="module")
def part(lab):
    return ca.up(lab)["ca"]


def test_the_bundle_holds_a_root_per_g1_identifier_once(lab, part):
    assert part["bundle_count"] == 4 + 2 + len(ca.G1_CAS)  # decoys, lab root + intermediate, G1 roots
    assert part["identifiers"] == {
        "rds-ca-rsa2048-g1": "Lab RDS Root CA",
        "rds-ca-rsa4096-g1": "Lab RDS eu-central-1 Root CA RSA4096 G1",
        "rds-ca-ecc384-g1": "Lab RDS eu-central-1 Root CA ECC384 G1",
    }
    assert ca.up(lab)["ca"]["bundle_sha256"] == part["bundle_sha256"]  # a rerun changes nothing
    with open(part["bundle_file"], "rb") as handle:
        assert not handle.read().endswith(b"\n")  # like Amazon's global-bundle.pem


@pytest.mark.parametrize("identifier", sorted(ca.ca_identifiers()))
def test_server_certificate_verifies_under_its_own_root_only(lab, part, identifier):
    paths = ca.server_certificate(lab, identifier)
    x509 = ca.crypto("x509")[0]
    with open(paths["chain"], "rb") as handle:
        leaf, intermediate = x509.load_pem_x509_certificates(handle.read())
    with open(paths["ca_file"], "rb") as handle:
        root = x509.load_pem_x509_certificate(handle.read())
    assert intermediate.issuer == root.subject and leaf.issuer == intermediate.subject
    common_name = ca.crypto("NameOID")[0].COMMON_NAME
    assert root.subject.get_attributes_for_oid(common_name)[0].value == part["identifiers"][identifier]
    assert ca.endpoint_name(lab) in str(leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    for other, root_file in list(part["g1_roots"].items()) + [(ca.DEFAULT_CA_IDENTIFIER, part["root_pem"])]:
        if other != identifier:
            with open(root_file, "rb") as handle:
                assert x509.load_pem_x509_certificate(handle.read()).subject != intermediate.issuer


def test_an_unknown_identifier_is_refused(lab, part):
    with pytest.raises(LabError, match="unknown CA identifier 'rds-ca-2019'"):
        ca.server_certificate(lab, "rds-ca-2019")


def test_rotate_command_names_lab_py(part):
    assert part["rotate_command"][-1] == "rotate-ca" and os.path.basename(part["rotate_command"][-2]) == "lab.py"
