"""tests/lab/moto_fixes.py: DescribeDBInstances returns DBSubnetGroup for Aurora cluster members."""

import pytest

import moto_fixes

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")


@pytest.fixture
def rds_with_cluster_member():
    moto_fixes.apply()
    with moto.mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-central-1")
        rds = boto3.client("rds", region_name="eu-central-1")
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.%d.0/24" % i, AvailabilityZone="eu-central-1" + z)["Subnet"][
                "SubnetId"
            ]
            for i, z in ((1, "a"), (2, "b"))
        ]
        rds.create_db_subnet_group(DBSubnetGroupName="group", DBSubnetGroupDescription="d", SubnetIds=subnets)
        rds.create_db_cluster(
            DBClusterIdentifier="c",
            Engine="aurora-postgresql",
            MasterUsername="master",
            MasterUserPassword="password1",
            DBSubnetGroupName="group",
        )
        rds.create_db_instance(
            DBInstanceIdentifier="w",
            DBClusterIdentifier="c",
            Engine="aurora-postgresql",
            DBInstanceClass="db.t4g.medium",
        )
        yield rds, subnets


def test_cluster_member_reports_the_clusters_subnet_group(rds_with_cluster_member):
    rds, subnets = rds_with_cluster_member
    instance = rds.describe_db_instances(DBInstanceIdentifier="w")["DBInstances"][0]
    group = instance["DBSubnetGroup"]
    assert group["DBSubnetGroupName"] == "group"
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)


def test_standalone_instance_keeps_its_own_group(rds_with_cluster_member):
    rds = rds_with_cluster_member[0]
    rds.create_db_instance(
        DBInstanceIdentifier="single",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        MasterUsername="master",
        MasterUserPassword="password1",
        AllocatedStorage=20,
        DBSubnetGroupName="group",
    )
    instance = rds.describe_db_instances(DBInstanceIdentifier="single")["DBInstances"][0]
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == "group"


def test_apply_is_idempotent():
    moto_fixes.apply()
    moto_fixes.apply()
    from moto.rds.models import DBInstanceClustered

    assert isinstance(DBInstanceClustered.__dict__["db_subnet_group"], moto_fixes._ClusterSubnetGroup)
