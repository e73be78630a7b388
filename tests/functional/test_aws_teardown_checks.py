"""aws_teardown against the lab's moto: every check runs before the first deletion (issue 11 item 12).

A deployment of one cluster and its writer is made with boto3 (the roles that build one are
tested in test_aws_roles.py). When a check refuses, the message says "Nothing was deleted" and
boto3 must find the writer, the cluster and its deletion protection exactly as they were; 0.1.0
deleted the writer and turned deletion protection off before its snapshot-name check.
The lab's `aws` section is all this needs (LAB_STATE_DIR may point at a lab.json that names
another moto).
"""

import datetime
import os
import re
import uuid

import pytest

from lab_helpers import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


boto3 = pytest.importorskip("boto3")

TEARDOWN = os.path.join(ROOT, "playbooks", "teardown.yml")
TAG = "virtualis:deployment"


@pytest.fixture(scope="module")
def aws(lab):
    return lab["aws"]


@pytest.fixture(scope="module")
def rds(aws):
    return boto3.client(
        "rds",
        endpoint_url=aws["endpoint_url"],
        region_name=aws["region"],
        aws_access_key_id=aws["access_key_id"],
        aws_secret_access_key=aws["secret_access_key"],
    )


@pytest.fixture
def deployment(rds, aws):
    """A tagged cluster with its writer; whatever the test leaves is removed afterwards."""
    name = "vtc-" + uuid.uuid4().hex[:8]
    tags = [{"Key": TAG, "Value": name}]
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        MasterUsername="master",
        MasterUserPassword="pw-" + uuid.uuid4().hex,
        Tags=tags,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=name + "-writer",
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        Tags=tags,
    )
    variables = {
        "aws_region": aws["region"],
        "aws_endpoint_url": aws["endpoint_url"],
        "aws_access_key": aws["access_key_id"],
        "aws_secret_key": aws["secret_access_key"],
        "virtualis_deployment": name,
    }
    yield name, variables
    for instance in rds.describe_db_instances()["DBInstances"]:
        if instance["DBInstanceIdentifier"] == name + "-writer":
            rds.delete_db_instance(DBInstanceIdentifier=name + "-writer", SkipFinalSnapshot=True)
    for cluster in rds.describe_db_clusters()["DBClusters"]:
        if cluster["DBClusterIdentifier"] == name:
            rds.modify_db_cluster(DBClusterIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
            rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
    for snapshot in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]:
        if snapshot["DBClusterSnapshotIdentifier"].startswith(name + "-"):
            rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"])


def state(rds, name):
    """(writer exists, cluster exists, its deletion protection), read with boto3."""
    writers = [i for i in rds.describe_db_instances()["DBInstances"] if i["DBInstanceIdentifier"] == name + "-writer"]
    clusters = [c for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] == name]
    return bool(writers), bool(clusters), clusters[0].get("DeletionProtection") if clusters else None


def refused(result, message):
    output = re.sub(r"\s+", " ", result.stdout)
    assert result.returncode != 0, result.stdout[-3000:]
    assert re.search(message, output) and "Nothing was deleted." in output, result.stdout[-3000:]


def test_snapshot_name_check_refuses_before_anything_is_deleted(rds, deployment):
    """Every name this teardown could pick in the next two minutes is taken: the name check
    refuses, and the writer and the protection are still there."""
    name, variables = deployment
    rds.modify_db_cluster(DBClusterIdentifier=name, DeletionProtection=True, ApplyImmediately=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    for second in range(120):
        stamp = (now + datetime.timedelta(seconds=second)).strftime("%Y%m%d-%H%M%S")
        rds.create_db_cluster_snapshot(
            DBClusterIdentifier=name, DBClusterSnapshotIdentifier="%s-final-%s" % (name, stamp)
        )
    result = run_playbook(TEARDOWN, extra_vars=dict(variables, aws_teardown_disable_deletion_protection=True))
    refused(result, r"Snapshot\(s\) %s-final-\d{8}-\d{6} exist already" % name)
    assert state(rds, name) == (True, True, True)


def test_deletion_protection_refuses_before_anything_is_deleted(rds, deployment):
    name, variables = deployment
    rds.modify_db_cluster(DBClusterIdentifier=name, DeletionProtection=True, ApplyImmediately=True)
    result = run_playbook(TEARDOWN, extra_vars=variables)
    refused(result, r"Cluster\(s\) %s have deletion protection on" % name)
    assert state(rds, name) == (True, True, True)
    assert not [
        s
        for s in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
        if s["DBClusterSnapshotIdentifier"].startswith(name + "-final-")
    ]


def test_teardown_snapshots_first_then_deletes(rds, deployment):
    name, variables = deployment
    rds.modify_db_cluster(DBClusterIdentifier=name, DeletionProtection=True, ApplyImmediately=True)
    result = run_playbook(TEARDOWN, extra_vars=dict(variables, aws_teardown_disable_deletion_protection=True))
    assert result.returncode == 0, result.stdout[-3000:]
    assert state(rds, name) == (False, False, None)
    snapshots = [
        s
        for s in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
        if re.match(re.escape(name) + r"-final-\d{8}-\d{6}$", s["DBClusterSnapshotIdentifier"])
    ]
    assert [s["Status"] for s in snapshots] == ["available"]
    tasks = re.findall(r"TASK \[virtualis\.aurora\.aws_teardown : ([^\]]+)\]", result.stdout)
    assert tasks.index("Delete nothing unless every final snapshot is available") < tasks.index(
        "Delete the writer and reader instances (waits until they are gone)"
    )
