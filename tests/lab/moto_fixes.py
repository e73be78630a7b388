"""moto 5.2.5 with the lab's fixes: where moto answers differently from the AWS API reference.

Run it instead of `moto_server`, with the same arguments:

    python tests/lab/moto_fixes.py -H 127.0.0.30 -p 5000

or call apply() before using moto in-process (tests). Each fix is checked against the version it
was written for and says which part of the RDS API reference moto does not follow; see
tests/lab/README_aws.md. Only moto's behaviour towards clients changes, never the clients.
"""

import sys

import moto
from moto.rds import models as rds_models

FIXED_MOTO_VERSION = "5.2.5"


class _ClusterSubnetGroup:
    """DBInstance.DBSubnetGroup for an instance that belongs to an Aurora cluster.

    DescribeDBInstances returns `DBSubnetGroup` for every instance in a VPC; an Aurora instance is
    created without DBSubnetGroupName and lives in its cluster's subnet group. moto 5.2.5 only
    fills it from the instance's own DBSubnetGroupName, so cluster members came back without
    the key (amazon.aws rds_instance then failed with KeyError: 'DBSubnetGroup').
    """

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        own = instance.__dict__.get("_own_db_subnet_group")
        if own is not None:
            return own
        cluster = instance.__dict__.get("cluster")
        name = getattr(cluster, "db_subnet_group_name", None)
        group = instance.backend.subnet_groups.get(name) if name else None
        if group is None:
            raise AttributeError("db_subnet_group")
        return group

    def __set__(self, instance, value):
        instance.__dict__["_own_db_subnet_group"] = value


def apply():
    """Patch moto in this process (idempotent)."""
    if moto.__version__ != FIXED_MOTO_VERSION:
        sys.stderr.write(
            "moto_fixes: written for moto %s, running %s: check tests/lab/README_aws.md\n"
            % (FIXED_MOTO_VERSION, moto.__version__)
        )
    rds_models.DBInstanceClustered.db_subnet_group = _ClusterSubnetGroup()


def main(argv=None):
    apply()
    from moto.server import main as server_main

    return server_main(argv)


if __name__ == "__main__":
    sys.exit(main())
