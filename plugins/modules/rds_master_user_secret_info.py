#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_master_user_secret_info
version_added: 0.2.0
short_description: Read the master user name and password that RDS keeps in Secrets Manager
description:
  - Reads the current value of the Secrets Manager secret in which RDS keeps a DB cluster's master
    password (C(ManageMasterUserPassword), see M(virtualis.aurora.rds_cluster_managed_password)) and
    returns its user name and password, for example to connect for a smoke test.
  - A module rather than the P(amazon.aws.secretsmanager_secret#lookup) lookup, because lookups do
    not see C(module_defaults); this module takes its AWS connection from C(group/virtualis.aurora.aws)
    like every other AWS task of a play.
  - The result holds the password. Use C(no_log) on the task, and never print the registered variable.
author:
  - virtualis.aurora developers (@virtualis)
options:
  secret_arn:
    description: ARN (or name) of the secret, as C(MasterUserSecret.SecretArn) of the DB cluster names it.
    type: str
    required: true
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
  - virtualis.aurora.aws
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the master password RDS manages
  virtualis.aurora.rds_master_user_secret_info:
    secret_arn: "{{ managed.master_user_secret.secret_arn }}"
  register: master
  no_log: true

- name: Connect with it
  community.postgresql.postgresql_query:
    login_host: "{{ aurora_cluster_endpoint }}"
    login_user: "{{ master.username }}"
    login_password: "{{ master.password }}"
    query: SELECT 1
"""

RETURN = r"""
username:
  description: The master user name stored in the secret (empty when the secret does not name it).
  returned: success
  type: str
  sample: master
password:
  description: The master password stored in the secret.
  returned: success
  type: str
  sample: "<the password>"
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def credentials(secret_string):
    """(username, password) of an RDS master user secret, or None when it is not one."""
    try:
        value = json.loads(secret_string or "")
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("password"), str):
        return None
    return value.get("username") or "", value["password"]


def main():
    argument_spec = dict(secret_arn=dict(type="str", required=True, no_log=False))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff(retries=5))
    arn = module.params["secret_arn"]
    try:
        secret = client.get_secret_value(aws_retry=True, SecretId=arn)
    except is_boto3_error_code("ResourceNotFoundException"):
        module.fail_json(msg="Secret %s does not exist: does RDS manage this cluster's master password?" % arn)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to read secret %s" % arn)
    found = credentials(secret.get("SecretString"))
    if found is None:
        module.fail_json(msg="Secret %s does not hold an RDS master user secret (JSON with a password)" % arn)
    module.exit_json(changed=False, username=found[0], password=found[1])


if __name__ == "__main__":
    main()
