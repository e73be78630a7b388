"""The lab's two node layouts, chosen by LAB_EXASOL_VERSION (issue 13 item 1; no lab needed)."""

import pytest

from components import bucketfs, nodes
from lab import VERSIONS, Lab, LabError


def lab_in(tmp_path, monkeypatch, version=None):
    """A Lab on a state directory under tmp_path, LAB_EXASOL_VERSION set to `version` (None: unset)."""
    if version is None:
        monkeypatch.delenv("LAB_EXASOL_VERSION", raising=False)
    else:
        monkeypatch.setenv("LAB_EXASOL_VERSION", version)
    return Lab(state_dir=str(tmp_path / "state"))


@pytest.mark.parametrize(
    "version,kind",
    [("7.1", "classic"), ("6.1", "classic"), ("7.1.26", "classic"), ("8", "cos"), ("2025", "cos"), ("2025.1.3", "cos")],
)
def test_generation_follows_the_version(tmp_path, monkeypatch, version, kind):
    lab = lab_in(tmp_path, monkeypatch, version)
    assert lab.exasol_generation() == kind
    assert bucketfs.https_only(lab) is (kind == "cos")


def test_bad_version_is_refused(tmp_path, monkeypatch):
    with pytest.raises(LabError, match="LAB_EXASOL_VERSION"):
        lab_in(tmp_path, monkeypatch, "seven").exasol_generation()


def test_a_fresh_state_gets_the_2025_default(tmp_path, monkeypatch):
    lab = lab_in(tmp_path, monkeypatch)
    assert VERSIONS.DEFAULT == "2025"
    assert lab.recorded_release() is None
    assert lab.claim_release() == "2025.1.3"
    assert lab.recorded_release() == "2025.1.3"
    assert lab.exasol_generation() == "cos"


def test_unset_version_follows_the_state_it_was_made_for(tmp_path, monkeypatch):
    lab_in(tmp_path, monkeypatch, "7.1").claim_release()
    lab = lab_in(tmp_path, monkeypatch)
    assert lab.claim_release() == "7.1.26"
    assert lab.exasol_generation() == "classic"
    assert lab_in(tmp_path, monkeypatch, "7.1.26").claim_release() == "7.1.26"  # the same release, spelt out


def test_another_generation_on_the_state_is_refused_not_half_started(tmp_path, monkeypatch):
    lab_in(tmp_path, monkeypatch, "7.1.26").claim_release()
    lab = lab_in(tmp_path, monkeypatch, "2025")
    with pytest.raises(LabError, match=r"made for Exasol 7\.1\.26.*LAB_EXASOL_VERSION=2025 make lab-reset"):
        lab.claim_release()
    assert lab.recorded_release() == "7.1.26"  # untouched


def test_a_state_from_before_the_release_file_tells_it_by_the_emulator_config(tmp_path, monkeypatch):
    lab = lab_in(tmp_path, monkeypatch, "2025")
    (tmp_path / "state" / "exasol").mkdir()
    (tmp_path / "state" / "exasol" / "config.json").write_text('{"release": "7.1.26"}')
    with pytest.raises(LabError, match="lab-reset"):
        lab.claim_release()


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
