"""rds_orderable_instance_info, rds_subnet_group_info, rds_cluster_managed_password, rds_master_user_secret_info: helpers, then moto.

moto runs in this process (ThreadedMotoServer on a free loopback port, with the lab's fixes);
the modules run as child processes the way Ansible runs them. No lab needed.
"""

import json

import pytest

from ansible_collections.virtualis.aurora.plugins.modules import rds_orderable_instance_info as orderable
from ansible_collections.virtualis.aurora.plugins.modules import rds_subnet_group_info as subnet_group_info
from module_runner import run_module

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

OPTIONS = [
    {"Engine": "aurora-postgresql", "EngineVersion": "16.6", "DBInstanceClass": "db.t4g.medium"},
    {"Engine": "aurora-postgresql", "EngineVersion": "16.6", "DBInstanceClass": "db.serverless"},
    {"Engine": "aurora-postgresql", "EngineVersion": "15.4", "DBInstanceClass": "db.r6g.large"},
]


def test_request_filters_only_name_the_set_options():
    params = {"engine": "aurora-postgresql", "engine_version": None, "db_instance_class": "db.t4g.medium"}
    assert orderable.request_filters(params) == {"Engine": "aurora-postgresql", "DBInstanceClass": "db.t4g.medium"}


def test_matching_applies_filters_the_endpoint_ignored():
    found = orderable.matching(OPTIONS, {"EngineVersion": "16.6", "DBInstanceClass": "db.serverless"})
    assert found == [OPTIONS[1]]


def test_summarize_sorts_distinct_classes_and_versions():
    assert orderable.summarize(OPTIONS + OPTIONS) == {
        "instance_classes": ["db.r6g.large", "db.serverless", "db.t4g.medium"],
        "engine_versions": ["15.4", "16.6"],
    }


def test_carries_needs_every_tag():
    tags = {"virtualis:deployment": "a", "Name": "x"}
    assert subnet_group_info.carries(tags, {"virtualis:deployment": "a"})
    assert not subnet_group_info.carries(tags, {"virtualis:deployment": "b"})
    assert subnet_group_info.carries(tags, None)


@pytest.fixture(scope="module")
def moto():
    import moto_fixes

    moto_fixes.apply()
    # port 0: the kernel picks a free port at bind time (a port picked earlier could be taken
    # before moto binds it, and moto 5.2.5's start() then waits forever)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    yield {
        "endpoint_url": "http://127.0.0.1:%d" % port,
        "region": "eu-central-1",
        "access_key": "testing",
        "secret_key": "testing",
    }
    server.stop()


def client(moto, service):
    return boto3.client(
        service,
        endpoint_url=moto["endpoint_url"],
        region_name=moto["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.spawns
def test_orderable_lists_classes_of_a_version_moto_knows(moto, tmp_path):
    result = run_module(
        "rds_orderable_instance_info",
        tmp_path,
        engine="aurora-postgresql",
        engine_version="14.7",
        db_instance_class="db.t4g.medium",
        **moto,
    )
    assert result["supported"] is True and result["changed"] is False
    assert result["instance_classes"] == ["db.t4g.medium"] and result["engine_versions"] == ["14.7"]


@pytest.mark.spawns
def test_orderable_answers_empty_for_an_unknown_class(moto, tmp_path):
    result = run_module(
        "rds_orderable_instance_info", tmp_path, engine="aurora-postgresql", db_instance_class="db.m1.small", **moto
    )
    assert result["instance_classes"] == []


@pytest.mark.spawns
def test_subnet_group_info_returns_only_tagged_groups(moto, tmp_path):
    ec2, rds = client(moto, "ec2"), client(moto, "rds")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.%d.0/24" % i, AvailabilityZone="eu-central-1" + z)["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    for name, tags in (("ours", [{"Key": "virtualis:deployment", "Value": "unit"}]), ("theirs", [])):
        rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets, Tags=tags)
    result = run_module("rds_subnet_group_info", tmp_path, tags={"virtualis:deployment": "unit"}, **moto)
    assert [g["db_subnet_group_name"] for g in result["subnet_groups"]] == ["ours"]
    assert sorted(result["subnet_groups"][0]["subnet_ids"]) == sorted(subnets)
    assert run_module("rds_subnet_group_info", tmp_path, name="missing", **moto)["subnet_groups"] == []


def test_managed_password_request():
    from ansible_collections.virtualis.aurora.plugins.modules.rds_cluster_managed_password import modify_request

    assert modify_request("c", None) == {
        "DBClusterIdentifier": "c",
        "ManageMasterUserPassword": True,
        "ApplyImmediately": True,
    }
    assert modify_request("c", "alias/k")["MasterUserSecretKmsKeyId"] == "alias/k"


@pytest.mark.spawns
def test_managed_password_check_mode_then_real_then_idempotent(moto, tmp_path):
    rds = client(moto, "rds")
    rds.create_db_cluster(
        DBClusterIdentifier="managed",
        Engine="aurora-postgresql",
        MasterUsername="master",
        MasterUserPassword="throwaway-password",
    )
    checked = run_module("rds_cluster_managed_password", tmp_path, check=True, db_cluster_identifier="managed", **moto)
    assert (
        checked["changed"] is True
        and "MasterUserSecret" not in rds.describe_db_clusters(DBClusterIdentifier="managed")["DBClusters"][0]
    )
    first = run_module("rds_cluster_managed_password", tmp_path, db_cluster_identifier="managed", **moto)
    secret = rds.describe_db_clusters(DBClusterIdentifier="managed")["DBClusters"][0]["MasterUserSecret"]
    assert first["changed"] is True and first["master_user_secret"]["secret_arn"] == secret["SecretArn"]
    again = run_module("rds_cluster_managed_password", tmp_path, check=True, db_cluster_identifier="managed", **moto)
    assert again["changed"] is False
    assert (
        run_module("rds_cluster_managed_password", tmp_path, db_cluster_identifier="managed", **moto)["changed"]
        is False
    )


@pytest.mark.spawns
def test_managed_password_names_a_missing_cluster(moto, tmp_path):
    result = run_module("rds_cluster_managed_password", tmp_path, db_cluster_identifier="nothere", **moto)
    assert result["failed"] and result["msg"] == "DB cluster nothere does not exist"


@pytest.mark.parametrize(
    "secret_string,expected",
    [
        ('{"username": "master", "password": "p@ss word"}', ("master", "p@ss word")),
        ('{"password": "only"}', ("", "only")),
        ('{"username": "master"}', None),
        ("not json", None),
        ('["password"]', None),
        (None, None),
    ],
)
def test_master_user_secret_credentials(secret_string, expected):
    from ansible_collections.virtualis.aurora.plugins.modules.rds_master_user_secret_info import credentials

    assert credentials(secret_string) == expected


@pytest.mark.spawns
def test_master_user_secret_info_reads_what_secrets_manager_holds(moto, tmp_path):
    rds, secrets = client(moto, "rds"), client(moto, "secretsmanager")
    rds.create_db_cluster(
        DBClusterIdentifier="secretive",
        Engine="aurora-postgresql",
        MasterUsername="master",
        MasterUserPassword="throwaway-password",
    )
    arn = rds.modify_db_cluster(DBClusterIdentifier="secretive", ManageMasterUserPassword=True, ApplyImmediately=True)[
        "DBCluster"
    ]["MasterUserSecret"]["SecretArn"]
    stored = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    for check in (False, True):  # read-only: check mode answers the same
        result = run_module("rds_master_user_secret_info", tmp_path, check=check, secret_arn=arn, **moto)
        assert result["changed"] is False
        assert (result["username"], result["password"]) == (stored["username"], stored["password"])
    missing = run_module("rds_master_user_secret_info", tmp_path, secret_arn=arn + "-gone", **moto)
    assert missing["failed"] and "does not exist" in missing["msg"]
    other = secrets.create_secret(Name="not-rds", SecretString="plain text")["ARN"]
    wrong = run_module("rds_master_user_secret_info", tmp_path, secret_arn=other, **moto)
    assert wrong["failed"] and "does not hold an RDS master user secret" in wrong["msg"]
    assert "plain text" not in json.dumps(wrong)
