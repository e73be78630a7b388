"""The lab's adapter stand-in follows the Exasol generation (issue 13; no lab is started)."""

import os
import zipfile

import pytest

from components import jars
from lab import Lab as RealLab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class Lab:
    here = os.path.join(ROOT, "tests", "lab")
    # the real release logic (LAB_EXASOL_VERSION, the state's release, the default) on this stand-in
    recorded_release, exasol_release, exasol_generation = (
        RealLab.recorded_release,
        RealLab.exasol_release,
        RealLab.exasol_generation,
    )

    def __init__(self, state, version):
        self.state_dir, self.version = state, version

    def setting(self, name, default):
        return self.version if name == "LAB_EXASOL_VERSION" else default

    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)


@pytest.mark.parametrize(
    "version,name",
    [
        ("7.1", "virtual-schema-dist-12.0.0-postgresql-3.0.0.jar"),
        ("7.1.26", "virtual-schema-dist-12.0.0-postgresql-3.0.0.jar"),
        ("2025", "virtual-schema-dist-14.0.5-postgresql-4.0.2.jar"),
        ("2025.1.3", "virtual-schema-dist-14.0.5-postgresql-4.0.2.jar"),
    ],
)
def test_standin_is_named_for_the_generation(tmp_path, monkeypatch, version, name):
    driver = tmp_path / "postgresql.jar"
    driver.write_bytes(b"PK")
    monkeypatch.setattr(jars, "DEBIAN_DRIVER", str(driver))
    part = jars.up(Lab(str(tmp_path / "state"), version))["jars"]
    assert part == {
        "driver_src": str(driver),
        "adapter_src": str(tmp_path / "state" / "jars" / name),
        "adapter_is_standin": True,
    }
    with zipfile.ZipFile(part["adapter_src"]) as archive:
        assert "LAB STAND-IN" in archive.read("META-INF/MANIFEST.MF").decode()
