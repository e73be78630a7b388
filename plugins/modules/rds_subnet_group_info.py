#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_subnet_group_info
version_added: 0.1.0
short_description: List RDS DB subnet groups with their tags
description:
  - Returns the DB subnet groups of a region (or one of them) with their tags, so that a play
    can act only on the groups that carry a given tag. amazon.aws has no info module for DB
    subnet groups.
author:
  - virtualis.aurora developers (@virtualis)
options:
  name:
    description: Only the DB subnet group of this name; no error when it does not exist.
    type: str
  tags:
    description: Only the groups that carry all of these tags (key and value).
    type: dict
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
  - virtualis.aurora.aws
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The subnet groups of deployment aurora-virtualis
  virtualis.aurora.rds_subnet_group_info:
    region: eu-central-1
    tags:
      "virtualis:deployment": aurora-virtualis
  register: groups
"""

RETURN = r"""
subnet_groups:
  description: The matching DB subnet groups.
  returned: always
  type: list
  elements: dict
  contains:
    db_subnet_group_name:
      description: Name of the group.
      type: str
      sample: aurora-virtualis
    db_subnet_group_arn:
      description: ARN of the group.
      type: str
      sample: arn:aws:rds:eu-central-1:123456789012:subgrp:aurora-virtualis
    vpc_id:
      description: VPC of the group.
      type: str
      sample: vpc-0123456789abcdef0
    subnet_ids:
      description: Subnets of the group.
      type: list
      elements: str
      sample: [subnet-0123456789abcdef0]
    tags:
      description: Tags of the group.
      type: dict
      sample: {"virtualis:deployment": "aurora-virtualis"}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.rds import get_tags
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


@AWSRetry.jittered_backoff(retries=5)
def describe_subnet_groups(client, name):
    params = {"DBSubnetGroupName": name} if name else {}
    paginator = client.get_paginator("describe_db_subnet_groups")
    return paginator.paginate(**params).build_full_result()["DBSubnetGroups"]


def summarize(group, tags):
    """The returned form of one group."""
    return {
        "db_subnet_group_name": group["DBSubnetGroupName"],
        "db_subnet_group_arn": group.get("DBSubnetGroupArn"),
        "vpc_id": group.get("VpcId"),
        "subnet_ids": [subnet["SubnetIdentifier"] for subnet in group.get("Subnets", [])],
        "tags": tags,
    }


def carries(tags, wanted):
    """Whether tags hold every key/value of wanted."""
    return all(tags.get(key) == value for key, value in (wanted or {}).items())


def main():
    argument_spec = dict(name=dict(type="str"), tags=dict(type="dict"))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff(retries=5))
    try:
        groups = describe_subnet_groups(client, module.params["name"])
    except is_boto3_error_code("DBSubnetGroupNotFoundFault"):
        groups = []
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe the DB subnet groups")
    found = []
    for group in groups:
        tags = get_tags(client, module, group["DBSubnetGroupArn"])
        if carries(tags, module.params["tags"]):
            found.append(summarize(group, tags))
    module.exit_json(changed=False, subnet_groups=found)


if __name__ == "__main__":
    main()
