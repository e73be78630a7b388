"""aws_network, aurora_cluster and aws_teardown against the lab's moto.

The resulting state is read back with boto3, never taken from the roles' own facts. One
deployment (a random name) is built once per module: check mode first on the empty account,
then the real run, then a second run and check mode again; the bad-input cases use another
deployment name and must leave nothing behind; teardown runs last and must spare an untagged
look-alike VPC, and every teardown keeps a final snapshot of its own. The smoke test reaches the lab PostgreSQL through the endpoint name that the
lab maps in /etc/hosts (see tests/lab/README_aws.md).
"""

import os
import re
import uuid

import pytest

from lab_helpers import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


boto3 = pytest.importorskip("boto3")

AURORA = os.path.join(ROOT, "playbooks", "aurora.yml")
TEARDOWN = os.path.join(ROOT, "playbooks", "teardown.yml")
TAG = "virtualis:deployment"
DEPLOYMENT = "vt-" + uuid.uuid4().hex[:8]
ALLOWED = ["203.0.113.0/24", "198.51.100.7/32", "2001:db8::/32"]
VPC_CIDR = "10.77.0.0/16"
SUBNETS = ["10.77.1.0/24", "10.77.2.0/24"]
MOTO_FIX_HINT = (
    "the lab's moto runs without tests/lab/moto_fixes.py (DescribeDBInstances lacks "
    "DBSubnetGroup for cluster members): start it as `python tests/lab/moto_fixes.py -H ... -p ...`"
)


def recap(result):
    """(changed, failed) of the PLAY RECAP for localhost."""
    match = re.search(r"localhost\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", result.stdout)
    assert match, "no PLAY RECAP:\n%s\n%s" % (result.stdout[-3000:], result.stderr[-3000:])
    return int(match.group(1)), int(match.group(2))


def succeeded(result):
    changed, failed = recap(result)
    assert result.returncode == 0 and failed == 0, "%s\n%s" % (result.stdout[-6000:], result.stderr[-3000:])
    return changed


@pytest.fixture(scope="module")
def aws(lab):
    section = dict(lab["aws"])
    section["endpoint_url"] = os.environ.get("AWS_ROLES_ENDPOINT_URL", section["endpoint_url"])
    return section


@pytest.fixture(scope="module")
def ec2(aws):
    return client("ec2", aws)


@pytest.fixture(scope="module")
def rds(aws):
    return client("rds", aws)


def client(service, aws):
    return boto3.client(
        service,
        endpoint_url=aws["endpoint_url"],
        region_name=aws["region"],
        aws_access_key_id=aws["access_key_id"],
        aws_secret_access_key=aws["secret_access_key"],
    )


@pytest.fixture(scope="module")
def base_vars(lab, aws):
    postgres = lab["postgres"]
    return {
        "aws_region": aws["region"],
        "aws_endpoint_url": aws["endpoint_url"],
        "aws_access_key": aws["access_key_id"],
        "aws_secret_key": aws["secret_access_key"],
        "virtualis_deployment": DEPLOYMENT,
        "aws_network_vpc_cidr": VPC_CIDR,
        "aws_network_subnet_cidrs": SUBNETS,
        "aws_network_allowed_cidrs": ALLOWED,
        "aurora_cluster_master_username": postgres["user"],
        "aurora_cluster_master_password": postgres["password"],
        "aurora_cluster_database_name": postgres["database"],
        "aurora_cluster_smoke_test_host": postgres["host"],
        "aurora_cluster_ca_cert": postgres["ca_file"],
        "aurora_cluster_wait_delay": 1,
    }


def tagged(ec2, deployment=DEPLOYMENT):
    """Every EC2 resource of the deployment, by kind."""
    filters = [{"Name": "tag:" + TAG, "Values": [deployment]}]
    return {
        "vpcs": ec2.describe_vpcs(Filters=filters)["Vpcs"],
        "subnets": ec2.describe_subnets(Filters=filters)["Subnets"],
        "gateways": ec2.describe_internet_gateways(Filters=filters)["InternetGateways"],
        "route_tables": ec2.describe_route_tables(Filters=filters)["RouteTables"],
        "security_groups": ec2.describe_security_groups(Filters=filters)["SecurityGroups"],
    }


def tagged_rds(rds, deployment=DEPLOYMENT):
    def ours(items, arn_key):
        return [
            item
            for item in items
            if {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=item[arn_key])["TagList"]}.get(
                TAG
            )
            == deployment
        ]

    return {
        "instances": ours(rds.describe_db_instances()["DBInstances"], "DBInstanceArn"),
        "clusters": ours(rds.describe_db_clusters()["DBClusters"], "DBClusterArn"),
        "subnet_groups": ours(rds.describe_db_subnet_groups()["DBSubnetGroups"], "DBSubnetGroupArn"),
    }


def identifiers(ec2, rds, deployment=DEPLOYMENT):
    """The ids/ARNs of everything tagged with the deployment, by kind (stable across calls)."""
    found = dict(tagged(ec2, deployment), **tagged_rds(rds, deployment))
    keys = (
        "SubnetId",
        "InternetGatewayId",
        "RouteTableId",
        "GroupId",
        "DBInstanceArn",
        "DBClusterArn",
        "DBSubnetGroupArn",
        "VpcId",
    )
    return {kind: sorted(next(item[k] for k in keys if k in item) for item in items) for kind, items in found.items()}


@pytest.fixture(scope="module")
def built(base_vars, ec2, rds):
    """Check mode on the empty account, then the real run; teardown afterwards in any case."""
    check = run_playbook(AURORA, extra_vars=base_vars, check=True)
    after_check = tagged(ec2), tagged_rds(rds)
    real = run_playbook(AURORA, extra_vars=base_vars)
    yield {"check": check, "after_check": after_check, "real": real}
    if any(tagged(ec2).values()) or any(tagged_rds(rds).values()):  # teardown test failed or did not run
        run_playbook(TEARDOWN, extra_vars=dict(base_vars, aws_teardown_final_snapshot=False))


def test_first_run_builds_and_check_mode_predicted_it(built):
    real_changed = succeeded(built["real"])
    assert real_changed > 0
    assert succeeded(built["check"]) == real_changed
    ec2_left, rds_left = built["after_check"]
    assert not any(ec2_left.values()) and not any(rds_left.values()), "check mode created %s %s" % built["after_check"]


def test_vpc_subnets_gateway_and_route(built, ec2, aws):
    found = tagged(ec2)
    assert len(found["vpcs"]) == 1
    vpc_id = found["vpcs"][0]["VpcId"]
    assert found["vpcs"][0]["CidrBlock"] == VPC_CIDR
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"] is True

    region_zones = {z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    subnets = found["subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == SUBNETS
    zones = {s["AvailabilityZone"] for s in subnets}
    assert len(zones) == 2 and zones <= region_zones and all(z.startswith(aws["region"]) for z in zones)

    assert len(found["gateways"]) == 1
    gateway = found["gateways"][0]
    assert [a["VpcId"] for a in gateway["Attachments"]] == [vpc_id]

    assert len(found["route_tables"]) == 1
    table = found["route_tables"][0]
    default = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert [r["GatewayId"] for r in default] == [gateway["InternetGatewayId"]]
    associated = {a["SubnetId"] for a in table["Associations"] if not a.get("Main")}
    assert associated == {s["SubnetId"] for s in subnets}


def test_security_group_allows_postgres_only_from_allowed_cidrs(built, ec2):
    groups = tagged(ec2)["security_groups"]
    assert len(groups) == 1
    rules = groups[0]["IpPermissions"]
    assert {(r["IpProtocol"], r.get("FromPort"), r.get("ToPort")) for r in rules} == {("tcp", 5432, 5432)}
    ipv4 = sorted(rng["CidrIp"] for r in rules for rng in r.get("IpRanges", []))
    ipv6 = sorted(rng["CidrIpv6"] for r in rules for rng in r.get("Ipv6Ranges", []))
    assert ipv4 == sorted(c for c in ALLOWED if ":" not in c)
    assert ipv6 == [c for c in ALLOWED if ":" in c]


def test_cluster_and_writer(built, ec2, rds):
    found = tagged_rds(rds)
    assert len(found["clusters"]) == 1 and len(found["instances"]) == 1 and len(found["subnet_groups"]) == 1
    cluster, writer, group = found["clusters"][0], found["instances"][0], found["subnet_groups"][0]
    assert cluster["Engine"] == "aurora-postgresql" and cluster["EngineVersion"].startswith("16.")
    assert cluster["BackupRetentionPeriod"] == 1  # the lab inventory's playground opt-in (the default is 7)
    assert cluster["StorageEncrypted"] is True
    assert cluster["IAMDatabaseAuthenticationEnabled"] is False
    assert cluster["CopyTagsToSnapshot"] is False
    assert cluster["DBSubnetGroup"] == group["DBSubnetGroupName"]
    assert {s["SubnetIdentifier"] for s in group["Subnets"]} == {s["SubnetId"] for s in tagged(ec2)["subnets"]}
    assert [g["VpcSecurityGroupId"] for g in cluster["VpcSecurityGroups"]] == [
        tagged(ec2)["security_groups"][0]["GroupId"]
    ]
    assert writer["DBClusterIdentifier"] == cluster["DBClusterIdentifier"]
    assert writer["DBInstanceClass"] == "db.t4g.medium"
    assert writer["PubliclyAccessible"] is True  # the lab inventory's playground opt-in (the default is false)
    assert writer.get("MonitoringInterval", 0) == 0
    assert writer.get("PerformanceInsightsEnabled", False) is False
    assert "DBSubnetGroup" in writer, MOTO_FIX_HINT
    assert (
        writer["CACertificateIdentifier"] == "rds-ca-rsa2048-g1"
    )  # aurora_cluster_ca_certificate_identifier's default


def test_smoke_test_answered_over_verified_tls(built, lab):
    assert re.search(
        r"%s answered over verified\s+TLS\s+\(CA bundle %s\):"
        % (re.escape(lab["postgres"]["host"]), re.escape(lab["postgres"]["ca_file"])),
        re.sub(r"\s+", " ", built["real"].stdout),
    ), built["real"].stdout[-3000:]


def test_smoke_test_downloads_the_bundle_when_no_ca_cert_is_given(built, base_vars, lab, tmp_path):
    """aurora_cluster_ca_cert empty: the bundle comes from aurora_cluster_ca_bundle_url (checksum
    verified), also in check mode, and the private download directory is gone afterwards."""
    variables = dict(
        base_vars,
        aurora_cluster_ca_cert="",
        aurora_cluster_ca_bundle_url=lab["bundle_url"],
        aurora_cluster_ca_bundle_checksum="sha256:" + lab["bundle_sha256"],
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    for check in (False, True):
        result = run_playbook(AURORA, extra_vars=variables, check=check, env={"TMPDIR": str(scratch)})
        assert succeeded(result) == 0
        assert re.search(
            r"%s answered over verified TLS \(CA bundle %s\):"
            % (re.escape(lab["postgres"]["host"]), re.escape(lab["bundle_url"])),
            re.sub(r"\s+", " ", result.stdout),
        ), result.stdout[-3000:]
        assert not [p.name for p in scratch.iterdir() if p.name.startswith("aurora_cluster.")]

    wrong = dict(variables, aurora_cluster_ca_bundle_checksum="sha256:" + "0" * 64)
    result = run_playbook(AURORA, extra_vars=wrong, env={"TMPDIR": str(scratch)})
    assert result.returncode != 0
    assert re.search(r"checksum", result.stdout, re.I), result.stdout[-3000:]
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("aurora_cluster.")]


def test_second_run_and_check_mode_change_nothing(built, base_vars, rds):
    if "DBSubnetGroup" not in tagged_rds(rds)["instances"][0]:
        pytest.fail(MOTO_FIX_HINT)
    assert succeeded(run_playbook(AURORA, extra_vars=base_vars)) == 0
    assert succeeded(run_playbook(AURORA, extra_vars=base_vars, check=True)) == 0


def test_ca_certificate_identifier_changes_the_writer_only_when_it_differs(built, base_vars, rds):
    """Check mode predicts the CA change and leaves the writer alone; the real run changes it (read
    back with boto3); a rerun and check mode then change nothing. The smoke test stays off: moto
    switches the identifier, not the lab PostgreSQL's certificate. Back to the default at the end."""

    def writer_ca():
        return tagged_rds(rds)["instances"][0]["CACertificateIdentifier"]

    target = dict(
        base_vars, aurora_cluster_ca_certificate_identifier="rds-ca-rsa4096-g1", aurora_cluster_smoke_test=False
    )
    try:
        assert succeeded(run_playbook(AURORA, extra_vars=target, check=True)) == 1
        assert writer_ca() == "rds-ca-rsa2048-g1"
        assert succeeded(run_playbook(AURORA, extra_vars=target)) == 1
        assert writer_ca() == "rds-ca-rsa4096-g1"
        assert succeeded(run_playbook(AURORA, extra_vars=target)) == 0
        assert succeeded(run_playbook(AURORA, extra_vars=target, check=True)) == 0
        bad = run_playbook(AURORA, extra_vars=dict(target, aurora_cluster_ca_certificate_identifier="rds-ca-2019"))
        assert bad.returncode != 0 and "aurora_cluster_ca_certificate_identifier must be one of" in bad.stdout
        assert writer_ca() == "rds-ca-rsa4096-g1"
    finally:
        run_playbook(AURORA, extra_vars=dict(base_vars, aurora_cluster_smoke_test=False))
    assert writer_ca() == "rds-ca-rsa2048-g1"


BAD_INPUT = [
    # every problem of the network input is reported at once; a region AWS does not know (whatever its
    # spelling: the region is the play's module_defaults, not checked by the role) fails the first call
    (
        {"aws_network_allowed_cidrs": ["10.0.0.300/32", "203.0.113.9", "0.0.0.0/0", "::/0", "10.0.0.1/24"]},
        [
            r"'10\.0\.0\.300/32' is not a CIDR",
            r"'203\.0\.113\.9' is not a CIDR: it has no prefix length",
            r"'0\.0\.0\.0/0' opens the port to the whole internet; set aws_network_allow_any_source",
            r"'::/0' opens the port",
            r"'10\.0\.0\.1/24' has host bits set: the network is 10\.0\.0\.0/24",
        ],
    ),
    # (moto answers a region it does not know with a 500, which the module cannot parse: no region in its result)
    (
        {"aws_region": "xx-nowhere-9"},
        [
            r"Could not list the availability zones of (region xx-nowhere-9|the region): "
            r"is the region set \(module_defaults for group/virtualis\.aurora\.aws"
        ],
    ),
    ({"aurora_cluster_master_password": ""}, [r"aurora_cluster_master_password is missing"]),
    ({"aurora_cluster_instance_class": "db.m1.small"}, [r"Instance class db\.m1\.small is not offered"]),
    (
        {"aurora_cluster_serverless": True, "aurora_cluster_serverless_max_acu": 0.7},
        [r"aurora_cluster_serverless_min_acu/max_acu must satisfy"],
    ),
    (
        {"aurora_cluster_ca_cert": "/nonexistent/rds.pem", "aurora_cluster_ca_bundle_checksum": "md5:0"},
        [
            r"aurora_cluster_ca_cert \"/nonexistent/rds\.pem\" is not a file on the controller",
            r"aurora_cluster_ca_bundle_checksum must look like sha256:<64 hex digits>",
        ],
    ),
]


@pytest.mark.parametrize(
    "override,messages",
    BAD_INPUT,
    ids=["cidrs", "unknown-region", "no-password", "class-not-offered", "acu", "ca-bundle"],
)
def test_bad_input_fails_clearly_before_anything_is_created(base_vars, ec2, rds, override, messages):
    deployment = "vt-bad-" + uuid.uuid4().hex[:6]
    result = run_playbook(AURORA, extra_vars=dict(base_vars, virtualis_deployment=deployment, **override))
    assert result.returncode != 0
    output = re.sub(r"\s+", " ", result.stdout)
    for message in messages:
        assert re.search(message, output), "%r not in:\n%s" % (message, result.stdout[-4000:])
    assert "Traceback" not in result.stdout + result.stderr
    assert not any(tagged(ec2, deployment).values()) and not any(tagged_rds(rds, deployment).values())


def test_teardown_deletes_only_the_tagged_resources(built, base_vars, ec2, rds):
    """Check mode predicts the real teardown; a final snapshot is kept; look-alikes survive; the
    deployment rebuilt and torn down again keeps a second final snapshot of its own name."""
    look_alike = ec2.create_vpc(
        CidrBlock=VPC_CIDR,
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": DEPLOYMENT + "-vpc"}]}],
    )["Vpc"]["VpcId"]
    other = ec2.create_vpc(
        CidrBlock=VPC_CIDR,
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": TAG, "Value": DEPLOYMENT + "-other"}]}],
    )["Vpc"]["VpcId"]
    try:
        before = identifiers(ec2, rds)
        predicted = succeeded(run_playbook(TEARDOWN, extra_vars=base_vars, check=True))
        assert identifiers(ec2, rds) == before, "check mode deleted something"
        assert succeeded(run_playbook(TEARDOWN, extra_vars=base_vars)) == predicted > 0
        assert not any(tagged(ec2).values()), tagged(ec2)
        assert not any(tagged_rds(rds).values()), tagged_rds(rds)
        survivors = {v["VpcId"] for v in ec2.describe_vpcs(VpcIds=[look_alike, other])["Vpcs"]}
        assert survivors == {look_alike, other}
        kept = final_snapshots(rds, DEPLOYMENT)
        assert [(s["DBClusterIdentifier"], s["Status"]) for s in kept] == [(DEPLOYMENT, "available")]
        assert succeeded(run_playbook(TEARDOWN, extra_vars=base_vars)) == 0

        # The deployment rebuilt under the same name and torn down again keeps a snapshot of its own.
        for automated in rds.describe_db_cluster_snapshots(DBClusterIdentifier=DEPLOYMENT, SnapshotType="automated")[
            "DBClusterSnapshots"
        ]:
            # moto keeps a deleted cluster's automated snapshot (AWS drops it), and its name would clash
            rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=automated["DBClusterSnapshotIdentifier"])
        rds.create_db_cluster(
            DBClusterIdentifier=DEPLOYMENT,
            Engine="aurora-postgresql",
            MasterUsername="master",
            MasterUserPassword="rebuilt-" + uuid.uuid4().hex,
            Tags=[{"Key": TAG, "Value": DEPLOYMENT}],
        )
        assert succeeded(run_playbook(TEARDOWN, extra_vars=base_vars)) > 0
        assert not tagged_rds(rds)["clusters"]
        again = final_snapshots(rds, DEPLOYMENT)
        names = [s["DBClusterSnapshotIdentifier"] for s in again]
        assert len(names) == 2 and names[0] == kept[0]["DBClusterSnapshotIdentifier"], names
        assert again[1]["Status"] == "available"
        tags = rds.list_tags_for_resource(ResourceName=again[1]["DBClusterSnapshotArn"])["TagList"]
        assert {"Key": TAG, "Value": DEPLOYMENT} in tags
    finally:
        for vpc_id in (look_alike, other):
            ec2.delete_vpc(VpcId=vpc_id)
        delete_final_snapshots(rds, DEPLOYMENT)


def final_snapshots(rds, cluster):
    """The cluster snapshots named <cluster>-final-<UTC YYYYMMDD-HHMMSS>, oldest first."""
    pattern = re.compile(re.escape(cluster) + r"-final-\d{8}-\d{6}$")
    found = [
        s
        for s in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
        if pattern.match(s["DBClusterSnapshotIdentifier"])
    ]
    return sorted(found, key=lambda s: s["DBClusterSnapshotIdentifier"])


def delete_final_snapshots(rds, cluster):
    for snapshot in final_snapshots(rds, cluster):
        rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"])
