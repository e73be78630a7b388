"""The lab's two node layouts, chosen by LAB_EXASOL_VERSION (issue 13 item 1; no lab needed)."""
import os

import pytest

from components import bucketfs, nodes
from lab import LabError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class Settings:
    here = os.path.join(ROOT, "tests", "lab")

    def __init__(self, **values):
        self.values = values

    def setting(self, name, default):
        return self.values.get(name, default)


@pytest.mark.parametrize("version,kind", [("7.1", "classic"), ("6.1", "classic"), ("7.1.26", "classic"),
                                          ("8", "cos"), ("2025", "cos"), ("2025.1.3", "cos")])
def test_generation_follows_the_version(version, kind):
    lab = Settings(LAB_EXASOL_VERSION=version)
    assert nodes.generation(lab) == kind
    assert bucketfs.https_only(lab) is (kind == "cos")


def test_bad_version_is_refused():
    with pytest.raises(LabError, match="LAB_EXASOL_VERSION"):
        nodes.generation(Settings(LAB_EXASOL_VERSION="seven"))


def test_classic_layout_is_what_it_always_was():
    spec = nodes.layout(3)
    assert spec["loader_truststore"] == "/etc/pki/ca-trust/extracted/java/cacerts"
    assert spec["mounts"] == ["/etc/pki/ca-trust", "/usr/opt", "/exa", "/etc/ssl/certs/java"]
    assert spec["slc_truststores"][0].startswith("/usr/opt/EXASuite-7/")


def test_cos_layout_reads_the_runtime_jdk_and_the_slc_under_opt_exasol():
    specs = [nodes.layout(i, "cos") for i in range(1, 4)]
    assert {s["loader_truststore"] for s in specs} == {"/opt/exasol/runtime-8.8.0-jdk/lib/security/cacerts"}
    assert all(s["mounts"] == ["/opt/exasol", "/exa"] for s in specs)
    assert all(s["slc_truststores"][0].startswith("/opt/exasol/slc-") for s in specs)
    assert "/ScriptLanguages-" in specs[0]["slc_truststores"][0]
    linked = specs[2]  # the absolute link resolves inside the container, as on 7.x
    assert linked["slc_truststores_resolved"][0] == nodes.COS_SLC_ROOT + "/etc/ssl/certs/java/cacerts"
    assert [s["truststore_type"] for s in specs] == ["JKS", "PKCS12", "JKS"]
