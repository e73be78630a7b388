"""exasol_truststore role on fake node trees (local connection, no lab): a failed node does not
stop the others and is named at the end, a rerun converges, check mode changes nothing, and the
anchors method runs update-ca-trust exactly when the extracted store lacks the bundle."""

import json
import os
import re
import sys

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._keystore import Store
from lab_helpers import run_playbook
from truststores import bundle, make_node, self_signed_pem

pytestmark = pytest.mark.spawns  # every test here starts a process (ansible-playbook, a module, keytool, a JVM)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


PLAYBOOK = os.path.join(ROOT, "playbooks", "truststore.yml")


@pytest.fixture(scope="module")
def pem_bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("bundle") / "bundle.pem"
    path.write_text(self_signed_pem("Role CA RSA", key="rsa2048")[0] + self_signed_pem("Role CA EC")[0])
    return str(path)


def cluster(tmp_path, names, broken=(), unreachable=()):
    hosts = {}
    for name in unreachable:  # nothing listens on port 9 of 127.0.0.1: refused at once
        hosts[name] = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9}
    for name in names:
        root = tmp_path / name
        central, dummy = make_node(root, slc=name not in broken)
        hosts[name] = {
            "exasol_truststore_discover_root": str(root),
            "exasol_truststore_central_store": central,
            "exasol_truststore_cache_dir": str(tmp_path / "cache"),
        }
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "exasol_nodes": {
                    "hosts": hosts,
                    "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                }
            }
        )
    )
    return str(inventory)


def recap(output):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", output, re.M)}


def fingerprints(path):
    return sorted(e.sha256 for e in Store(str(path), "auto", "changeit").load().entries)


def test_failed_node_is_named_and_rerun_converges(tmp_path, pem_bundle):
    inventory = cluster(tmp_path, ["n1", "n2", "n3"], broken=["n3"], unreachable=["n0"])
    extra = {"exasol_truststore_bundle_src": pem_bundle}
    first = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=extra)
    assert first.returncode != 0
    message = re.search(r"exasol_truststore failed on 2 node\(s\): (.*)", first.stdout).group(1)
    assert message.startswith("n0 (unreachable: ") and "n3 (failed: discover found no truststore" in first.stdout
    data = json.loads(open(inventory).read())
    del data["exasol_nodes"]["hosts"]["n0"]  # the unreachable node leaves the cluster
    with open(inventory, "w") as handle:
        json.dump(data, handle)
    wanted = sorted(c.sha256 for c in bundle(pem_bundle))
    assert fingerprints(tmp_path / "n2/etc/pki/ca-trust/extracted/java/cacerts") == wanted  # others done
    make_node(tmp_path / "fixed")  # give n3 its script-language container
    os.rename(str(tmp_path / "fixed" / "usr"), str(tmp_path / "n3" / "usr"))
    second = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=extra)
    assert second.returncode == 0, second.stdout[-3000:]
    assert recap(second.stdout)["n1"] == 0 and recap(second.stdout)["n3"] >= 1
    third = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=extra)
    assert set(recap(third.stdout).values()) == {0}


def test_check_mode_changes_nothing(tmp_path, pem_bundle):
    inventory = cluster(tmp_path, ["n1", "n2"])
    stores = [tmp_path / n / "etc/pki/ca-trust/extracted/java/cacerts" for n in ("n1", "n2")]
    before = [p.read_bytes() for p in stores]
    checked = run_playbook(
        PLAYBOOK, "-i", inventory, extra_vars={"exasol_truststore_bundle_src": pem_bundle}, check=True
    )
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert recap(checked.stdout) == {"n1": 1, "n2": 1}
    assert [p.read_bytes() for p in stores] == before


def fake_update_ca_trust(tmp_path, central, anchors, fail_flag):
    """An update-ca-trust that logs its call and writes every anchor certificate into the central
    JKS, as the real one does; while `fail_flag` exists it fails before writing (a killed run)."""
    script = tmp_path / "update-ca-trust"
    script.write_text(
        "\n".join(
            [
                "#!%s" % sys.executable,
                "import glob, os, sys",
                "sys.path[:0] = %r" % [os.path.join(ROOT, "tests", "support"), os.path.join(ROOT, ".collections")],
                "from truststores import bundle, make_jks",
                "open(%r, 'a').write(' '.join(sys.argv[1:]) + '\\n')" % str(tmp_path / "extracted.log"),
                "if os.path.exists(%r): sys.exit('killed')" % str(fail_flag),
                "make_jks(%r, [c for p in sorted(glob.glob(%r)) for c in bundle(p)])"
                % (str(central), str(anchors / "*.pem")),
            ]
        )
        + "\n"
    )
    script.chmod(0o755)
    return script


def anchors_vars(tmp_path, pem_bundle, fake):
    return {
        "exasol_truststore_bundle_src": pem_bundle,
        "exasol_truststore_central_method": "anchors",
        "exasol_truststore_anchors_dir": str(tmp_path / "anchors"),
        "exasol_truststore_update_ca_trust": str(fake),
        "exasol_truststore_alias_prefix": "anch-",
    }


def test_anchors_method_runs_update_ca_trust_once(tmp_path, pem_bundle):
    inventory = cluster(tmp_path, ["n1"])
    (tmp_path / "anchors").mkdir()
    central = tmp_path / "n1/etc/pki/ca-trust/extracted/java/cacerts"
    fake = fake_update_ca_trust(tmp_path, central, tmp_path / "anchors", tmp_path / "fail")
    for dummy in range(2):
        proc = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=anchors_vars(tmp_path, pem_bundle, fake))
        assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "anchors/anch-ca-bundle.pem").read_text().strip() == open(pem_bundle).read().strip()
    assert (tmp_path / "extracted.log").read_text() == "extract\n"  # once: the second run changed nothing
    assert fingerprints(central) == sorted(c.sha256 for c in bundle(pem_bundle))  # update-ca-trust's work
    assert recap(proc.stdout)["n1"] == 0


def test_anchors_method_extracts_on_rerun_after_an_interrupted_run(tmp_path, pem_bundle):
    """Issue 11 item 13: the anchor was copied, update-ca-trust never finished. The rerun finds the
    anchor unchanged but the extracted store without the bundle, and extracts (0.1.0 did not)."""
    inventory = cluster(tmp_path, ["n1"])
    (tmp_path / "anchors").mkdir()
    central = tmp_path / "n1/etc/pki/ca-trust/extracted/java/cacerts"
    fail = tmp_path / "fail"
    fail.write_text("")
    fake = fake_update_ca_trust(tmp_path, central, tmp_path / "anchors", fail)
    variables = anchors_vars(tmp_path, pem_bundle, fake)
    first = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=variables)
    assert first.returncode != 0 and "n1 (failed: " in first.stdout, first.stdout[-3000:]
    assert (tmp_path / "anchors/anch-ca-bundle.pem").exists() and fingerprints(central) == []
    fail.unlink()
    second = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=variables)
    assert second.returncode == 0, second.stdout[-3000:]
    assert fingerprints(central) == sorted(c.sha256 for c in bundle(pem_bundle))
    third = run_playbook(PLAYBOOK, "-i", inventory, extra_vars=variables)
    assert recap(third.stdout)["n1"] == 0
    assert (tmp_path / "extracted.log").read_text() == "extract\nextract\n"  # killed once, then once more


def test_serial_attempts_every_batch_and_names_failures_at_the_end(tmp_path, pem_bundle):
    """serial=1 with a broken node first: the later batches still run, the bundle is verified once,
    every batch prints its nodes' stores, and the play fails after the last batch naming the node."""
    inventory = cluster(tmp_path, ["n1", "n2", "n3"], broken=["n1"])
    proc = run_playbook(
        PLAYBOOK,
        "-i",
        inventory,
        "-v",
        extra_vars={"exasol_truststore_bundle_src": pem_bundle, "exasol_truststore_serial": 1},
    )
    out = proc.stdout
    assert proc.returncode != 0, out[-3000:]
    assert out.count("PLAY [RDS CA bundle") == 3
    assert re.search(r"exasol_truststore failed on 1 node\(s\): n1 \(failed: discover found no truststore", out)
    assert (
        len(re.findall(r"TASK \[virtualis.aurora.exasol_truststore : Verify every certificate.*\n(ok|changed): ", out))
        == 1
    )
    assert "n2: 2 stores (1 discovered), 2 changed" in out and "n3: 2 stores (1 discovered), 2 changed" in out
    wanted = sorted(c.sha256 for c in bundle(pem_bundle))
    for name in ("n2", "n3"):
        assert fingerprints(tmp_path / name / "etc/pki/ca-trust/extracted/java/cacerts") == wanted
    assert recap(out)["n1"] == 0 and recap(out)["n2"] == recap(out)["n3"] == 1, recap(out)


def test_serial_stops_early_above_max_fail_percentage(tmp_path, pem_bundle):
    """Given with `-e name=value`, the percentage is a string (issue 11 item 15: 0.1.0 failed on it)."""
    inventory = cluster(tmp_path, ["n1", "n2", "n3"], broken=["n1"])
    proc = run_playbook(
        PLAYBOOK,
        "-i",
        inventory,
        "-e",
        "exasol_truststore_max_fail_percentage=0",
        extra_vars={"exasol_truststore_bundle_src": pem_bundle, "exasol_truststore_serial": 1},
    )
    assert proc.returncode != 0
    assert "2 node(s) of later batches were not attempted" in proc.stdout, proc.stdout[-3000:]
    central = tmp_path / "n3/etc/pki/ca-trust/extracted/java/cacerts"
    assert not {c.sha256 for c in bundle(pem_bundle)} & set(fingerprints(central))  # n3 untouched
