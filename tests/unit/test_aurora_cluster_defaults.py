"""aurora_cluster is secure by default; the tutorial's cheap playground is an explicit opt-in.

The role's defaults keep the writer private with 7 days of backups and the smoke test needs no
inventory setting (it downloads AWS's RDS bundle over https); the lab and example inventories
opt in to the playground (public writer, 1-day backups) explicitly.
The functional tests (tests/functional/test_aws_roles.py) read the result back through boto3.
Reading YAML only.
"""

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYGROUND = {"aurora_cluster_publicly_accessible": True, "aurora_cluster_backup_retention_period": 1}
INVENTORIES = ("inventory/lab/group_vars/all/lab.yml", "inventory/example/group_vars/all/main.yml")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def test_role_defaults_are_secure():
    defaults = yaml.safe_load(read("roles/aurora_cluster/defaults/main.yml"))
    assert defaults["aurora_cluster_publicly_accessible"] is False
    assert defaults["aurora_cluster_backup_retention_period"] == 7
    assert defaults["aurora_cluster_storage_encrypted"] is True
    assert defaults["aurora_cluster_ca_cert"] == ""
    assert defaults["aurora_cluster_ca_bundle_url"].startswith("https://")


def test_inventories_opt_in_to_the_playground_explicitly():
    for path in INVENTORIES:
        values = yaml.safe_load(read(path))
        assert {key: values.get(key) for key in PLAYGROUND} == PLAYGROUND, path
