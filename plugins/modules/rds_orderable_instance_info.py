#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_orderable_instance_info
version_added: 0.1.0
short_description: List the DB instance classes RDS offers for an engine and version
description:
  - Calls C(DescribeOrderableDBInstanceOptions) and returns the distinct instance classes and
    engine versions in the answer, so that a play can refuse an instance class that cannot be
    ordered before it creates anything.
  - The filters are also applied to the answer, because some API implementations (moto) ignore
    the O(db_instance_class) filter.
  - When the endpoint does not implement the call, RV(supported) is V(false) and the lists are
    empty instead of failing.
author:
  - virtualis.aurora developers (@virtualis)
options:
  engine:
    description: The engine, for example V(aurora-postgresql).
    type: str
    required: true
  engine_version:
    description: Only options of this engine version.
    type: str
  db_instance_class:
    description: Only options of this instance class, for example V(db.t4g.medium) or V(db.serverless).
    type: str
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
  - virtualis.aurora.aws
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which classes can run Aurora PostgreSQL 16.6?
  virtualis.aurora.rds_orderable_instance_info:
    region: eu-central-1
    engine: aurora-postgresql
    engine_version: "16.6"
  register: orderable

- name: Refuse a class that is not offered
  ansible.builtin.assert:
    that: "'db.t4g.medium' in orderable.instance_classes"
"""

RETURN = r"""
supported:
  description: Whether the endpoint implements C(DescribeOrderableDBInstanceOptions).
  returned: always
  type: bool
  sample: true
instance_classes:
  description: The distinct instance classes offered, sorted.
  returned: always
  type: list
  elements: str
  sample: [db.r6g.large, db.serverless, db.t4g.medium]
engine_versions:
  description: The distinct engine versions in the answer, sorted.
  returned: always
  type: list
  elements: str
  sample: ["16.4", "16.6"]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Error codes of endpoints that do not implement the call at all.
UNSUPPORTED_CODES = ("InvalidAction", "NotImplemented", "UnsupportedOperation", "NotImplementedError")


def request_filters(params):
    """The API parameters for the module options that are set."""
    names = (("engine", "Engine"), ("engine_version", "EngineVersion"), ("db_instance_class", "DBInstanceClass"))
    return {api: params[option] for option, api in names if params.get(option)}


def matching(options, filters):
    """The options that really match every filter (some implementations ignore some filters)."""
    return [opt for opt in options if all(opt.get(key) == value for key, value in filters.items())]


def summarize(options):
    """The module result for a list of orderable options."""
    return {
        "instance_classes": sorted({opt["DBInstanceClass"] for opt in options if opt.get("DBInstanceClass")}),
        "engine_versions": sorted({opt["EngineVersion"] for opt in options if opt.get("EngineVersion")}),
    }


@AWSRetry.jittered_backoff(retries=5)
def describe_orderable(client, filters):
    paginator = client.get_paginator("describe_orderable_db_instance_options")
    return paginator.paginate(**filters).build_full_result()["OrderableDBInstanceOptions"]


def main():
    argument_spec = dict(
        engine=dict(type="str", required=True),
        engine_version=dict(type="str"),
        db_instance_class=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("rds")
    filters = request_filters(module.params)
    try:
        options = describe_orderable(client, filters)
    except is_boto3_error_code(UNSUPPORTED_CODES):
        module.exit_json(changed=False, supported=False, instance_classes=[], engine_versions=[])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(
            e, msg="Failed to describe the orderable DB instance options of %s" % module.params["engine"]
        )
    module.exit_json(changed=False, supported=True, **summarize(matching(options, filters)))


if __name__ == "__main__":
    main()
