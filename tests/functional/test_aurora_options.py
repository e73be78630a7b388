"""aurora_cluster's two opt-in options against the lab's moto: Serverless v2 and the master
password managed by RDS in Secrets Manager.

The network is made with boto3 (tagged with a deployment name of this module's own), so that
each playbook run is the aurora_cluster role alone; the two clusters of the two options are built
concurrently: check mode on the empty account (must predict the real run and create nothing), the
real run, the real run again (must report changed=0). The resulting state is
read back with boto3, never taken from the role's facts. The smoke test is off: in managed mode
the password is the secret's, which the lab PostgreSQL does not know (tests/lab/README_aws.md),
and test_aws_roles.py covers the smoke test. Everything tagged with the deployment is deleted with
boto3 at the end, whatever the outcome.
"""

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_aws_roles import aws, client, rds, succeeded  # noqa: F401  pylint: disable=unused-import

from lab_helpers import run_playbook

boto3 = pytest.importorskip("boto3")

# The lab's AWS section, boto3 clients (fixtures aws, rds) and the PLAY RECAP reading, shared with
# the roles' test.

TAG = "virtualis:deployment"
DEPLOYMENT = "options-test-" + uuid.uuid4().hex[:8]
SERVERLESS = DEPLOYMENT + "-sv2"
MANAGED = DEPLOYMENT + "-managed"
MIN_ACU, MAX_ACU = 1.5, 4
# moto 5.2.5's DescribeOrderableDBInstanceOptions has no db.serverless for aurora-postgresql; AWS
# lists it for every version that supports Serverless v2 (the Aurora user guide finds those
# versions with `describe-orderable-db-instance-options --db-instance-class db.serverless`).
MOTO_NO_SERVERLESS_CLASS = (
    "moto 5.2.5's DescribeOrderableDBInstanceOptions catalogue lists no db.serverless for "
    "aurora-postgresql, while AWS lists it for every engine version that supports Serverless v2: "
    "moto's data is stale, the role's class check is right"
)
# Known bug of the role (roles/aurora_cluster/tasks/cluster.yml): in check mode, when the cluster
# does not exist yet, the task "Let RDS manage the master password in Secrets Manager" is skipped
# (when: not ansible_check_mode or not _aurora_cluster_cluster.changed) instead of reporting the
# change, so check mode predicts one change fewer than the real run makes.
PLAYBOOK = """\
- name: aurora_cluster alone
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/virtualis.aurora.aws:
      region: "{{ aws_region }}"
      endpoint_url: "{{ aws_endpoint_url }}"
      access_key: "{{ aws_access_key }}"
      secret_key: "{{ aws_secret_key }}"
  roles:
    - role: virtualis.aurora.aurora_cluster
"""


@pytest.fixture(scope="module")
def secretsmanager(aws):
    return client("secretsmanager", aws)


@pytest.fixture(scope="module")
def network(aws):
    """A VPC with two subnets in two zones and a security group, tagged with DEPLOYMENT; at the
    end every RDS and EC2 resource carrying that tag is deleted (nothing else)."""
    ec2, rds = client("ec2", aws), client("rds", aws)
    tags = [{"Key": TAG, "Value": DEPLOYMENT}]
    made = {"subnets": []}
    try:
        made["vpc"] = ec2.create_vpc(
            CidrBlock="10.78.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}]
        )["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        for number, zone in enumerate(zones, 1):
            made["subnets"].append(
                ec2.create_subnet(
                    VpcId=made["vpc"],
                    CidrBlock="10.78.%d.0/24" % number,
                    AvailabilityZone=zone,
                    TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}],
                )["Subnet"]["SubnetId"]
            )
        made["group"] = ec2.create_security_group(
            GroupName=DEPLOYMENT,
            Description="PostgreSQL of " + DEPLOYMENT,
            VpcId=made["vpc"],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
        )["GroupId"]
        yield made
    finally:
        delete_deployment(ec2, rds)


def ours(rds, items, arn_key):
    return [
        item
        for item in items
        if {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=item[arn_key])["TagList"]}.get(TAG)
        == DEPLOYMENT
    ]


def delete_deployment(ec2, rds):
    for instance in ours(rds, rds.describe_db_instances()["DBInstances"], "DBInstanceArn"):
        rds.delete_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"], SkipFinalSnapshot=True)
    for cluster in ours(rds, rds.describe_db_clusters()["DBClusters"], "DBClusterArn"):
        rds.delete_db_cluster(DBClusterIdentifier=cluster["DBClusterIdentifier"], SkipFinalSnapshot=True)
    for group in ours(rds, rds.describe_db_subnet_groups()["DBSubnetGroups"], "DBSubnetGroupArn"):
        rds.delete_db_subnet_group(DBSubnetGroupName=group["DBSubnetGroupName"])
    filters = [{"Name": "tag:" + TAG, "Values": [DEPLOYMENT]}]
    for group in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]:
        ec2.delete_security_group(GroupId=group["GroupId"])
    for subnet in ec2.describe_subnets(Filters=filters)["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    for vpc in ec2.describe_vpcs(Filters=filters)["Vpcs"]:
        ec2.delete_vpc(VpcId=vpc["VpcId"])


@pytest.fixture(scope="module")
def playbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("aurora_options") / "aurora_cluster.yml"
    path.write_text(PLAYBOOK)
    return str(path)


@pytest.fixture(scope="module")
def variables(aws, network):
    common = {
        "aws_region": aws["region"],
        "aws_endpoint_url": aws["endpoint_url"],
        "aws_access_key": aws["access_key_id"],
        "aws_secret_key": aws["secret_access_key"],
        "virtualis_deployment": DEPLOYMENT,
        "aurora_cluster_subnet_ids": network["subnets"],
        "aurora_cluster_security_group_ids": [network["group"]],
        "aurora_cluster_smoke_test": False,
        "aurora_cluster_wait_delay": 1,
    }
    return {
        # The class check stays on in test_serverless_class_is_checked_against_orderable_options.
        "serverless": dict(
            common,
            aurora_cluster_identifier=SERVERLESS,
            aurora_cluster_serverless=True,
            aurora_cluster_serverless_min_acu=MIN_ACU,
            aurora_cluster_serverless_max_acu=MAX_ACU,
            aurora_cluster_master_password="serverless-" + uuid.uuid4().hex,
            aurora_cluster_check_instance_class=False,
        ),
        # No password at all: the empty string overrides the lab inventory's.
        "managed": dict(
            common,
            aurora_cluster_identifier=MANAGED,
            aurora_cluster_manage_master_user_password=True,
            aurora_cluster_master_password="",
        ),
    }


ROUNDS = ("check", "first", "second")


@pytest.fixture(scope="module")
def runs(playbook, variables, rds):
    """Both options, concurrently, round by round: check mode on the empty account, the real run,
    the real run again. {option: {round: CompletedProcess}}, plus
    "state": {round: the deployment's RDS resources after that round}."""
    results = {name: {} for name in variables}
    results["state"] = {}
    with ThreadPoolExecutor(max_workers=len(variables)) as pool:
        for name_of_round in ROUNDS:
            futures = {
                name: pool.submit(run_playbook, playbook, "-v", extra_vars=extra, check="check" in name_of_round)
                for name, extra in variables.items()
            }
            for name, future in futures.items():
                results[name][name_of_round] = future.result()
            results["state"][name_of_round] = deployment_rds(rds)
    return results


def deployment_rds(rds):
    """Identifiers of the deployment's RDS resources, and each cluster's MasterUserSecret."""
    clusters = ours(rds, rds.describe_db_clusters()["DBClusters"], "DBClusterArn")
    return {
        "clusters": sorted(c["DBClusterIdentifier"] for c in clusters),
        "instances": sorted(
            i["DBInstanceIdentifier"] for i in ours(rds, rds.describe_db_instances()["DBInstances"], "DBInstanceArn")
        ),
        "subnet_groups": sorted(
            g["DBSubnetGroupName"]
            for g in ours(rds, rds.describe_db_subnet_groups()["DBSubnetGroups"], "DBSubnetGroupArn")
        ),
        "secrets": {c["DBClusterIdentifier"]: c.get("MasterUserSecret", {}).get("SecretArn") for c in clusters},
    }


def cluster_and_writer(rds, identifier):
    cluster = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
    writers = [m for m in cluster["DBClusterMembers"] if m["IsClusterWriter"]]
    assert len(writers) == 1, cluster["DBClusterMembers"]
    writer = rds.describe_db_instances(DBInstanceIdentifier=writers[0]["DBInstanceIdentifier"])["DBInstances"][0]
    return cluster, writer


def test_check_mode_created_nothing(runs):
    assert runs["state"]["check"] == {"clusters": [], "instances": [], "subnet_groups": [], "secrets": {}}


@pytest.mark.parametrize("option", ["serverless", "managed"])
def test_check_mode_predicts_the_first_run(runs, option):
    assert succeeded(runs[option]["check"]) == succeeded(runs[option]["first"]) > 0


@pytest.mark.parametrize("option", ["serverless", "managed"])
def test_second_run_changes_nothing(runs, option):
    assert succeeded(runs[option]["second"]) == 0


def test_serverless_v2_cluster_and_writer(runs, rds):
    succeeded(runs["serverless"]["first"])
    cluster, writer = cluster_and_writer(rds, SERVERLESS)
    scaling = cluster.get("ServerlessV2ScalingConfiguration")
    assert scaling is not None, cluster
    assert (scaling["MinCapacity"], scaling["MaxCapacity"]) == (MIN_ACU, MAX_ACU)
    assert cluster["EngineMode"] == "provisioned"
    assert writer["DBInstanceIdentifier"] == SERVERLESS + "-writer"
    assert writer["DBInstanceClass"] == "db.serverless"
    assert "MasterUserSecret" not in cluster


def test_serverless_class_is_checked_against_orderable_options(rds, playbook, variables):
    """With the class check on (the default), db.serverless must pass where the endpoint offers it."""
    offered = rds.describe_orderable_db_instance_options(Engine="aurora-postgresql", DBInstanceClass="db.serverless")
    if not [o for o in offered["OrderableDBInstanceOptions"] if o["DBInstanceClass"] == "db.serverless"]:
        pytest.skip(MOTO_NO_SERVERLESS_CLASS)
    extra = dict(variables["serverless"], aurora_cluster_check_instance_class=True)
    result = run_playbook(playbook, "--tags", "aurora_cluster_preflight", extra_vars=extra, check=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_managed_master_password_is_in_secrets_manager(runs, rds, secretsmanager):
    succeeded(runs["managed"]["first"])
    cluster, writer = cluster_and_writer(rds, MANAGED)
    secret = cluster.get("MasterUserSecret")
    assert secret, cluster
    assert re.match(r"arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+", secret["SecretArn"]), secret
    described = secretsmanager.describe_secret(SecretId=secret["SecretArn"])
    assert described["ARN"] == secret["SecretArn"]
    owner = {t["Key"]: t["Value"] for t in described.get("Tags", [])}.get("aws:rds:primaryDBClusterArn")
    assert owner == cluster["DBClusterArn"], described
    # AWS stores {"username": <master user>, "password": ...}; moto 5.2.5 "admin" and a fixed password.
    value = json.loads(secretsmanager.get_secret_value(SecretId=secret["SecretArn"])["SecretString"])
    assert value["username"] and value["password"]
    assert writer["DBInstanceClass"] == "db.t4g.medium"


def test_managed_master_password_is_never_printed(runs, rds, secretsmanager):
    arn = rds.describe_db_clusters(DBClusterIdentifier=MANAGED)["DBClusters"][0]["MasterUserSecret"]["SecretArn"]
    password = json.loads(secretsmanager.get_secret_value(SecretId=arn)["SecretString"])["password"]
    for result in runs["managed"].values():
        output = result.stdout + result.stderr
        assert password not in output
        # the throw-away creation password is known to nobody: no value of it may be shown either
        assert not re.search(r"master_user_password['\"]?\s*[:=]\s*['\"]?(?!VALUE_SPECIFIED_IN_NO_LOG|\*)\w", output)


def test_managed_master_password_secret_kept_by_the_second_run(runs):
    secrets = [runs["state"][name]["secrets"].get(MANAGED) for name in ROUNDS[1:]]
    assert secrets[0] and secrets[1] == secrets[0], secrets
