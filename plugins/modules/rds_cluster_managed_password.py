#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_cluster_managed_password
version_added: 0.1.0
short_description: Let RDS manage a DB cluster's master password in Secrets Manager
description:
  - Turns on C(ManageMasterUserPassword) for an existing DB cluster, so that RDS keeps the master
    password in an AWS Secrets Manager secret and rotates it; the password the cluster was
    created with stops working. amazon.aws.rds_cluster (10.x) has no option for it.
  - Does nothing when the cluster already has a managed master user secret.
  - Turning the management off needs a new master password and is not done by this module.
author:
  - virtualis.aurora developers (@virtualis)
options:
  db_cluster_identifier:
    description: The DB cluster.
    type: str
    required: true
  master_user_secret_kms_key_id:
    description: KMS key for the secret; default is the AWS managed key C(aws/secretsmanager).
    type: str
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.check_mode
  - virtualis.aurora.attributes.diff_mode
  - virtualis.aurora.attributes.idempotent
  - virtualis.aurora.aws
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep the master password of aurora-virtualis in Secrets Manager
  virtualis.aurora.rds_cluster_managed_password:
    region: eu-central-1
    db_cluster_identifier: aurora-virtualis
  register: managed

- name: Where the password is
  ansible.builtin.debug:
    msg: "{{ managed.master_user_secret.secret_arn }}"
"""

RETURN = r"""
master_user_secret:
  description: The secret that holds the master password (empty in check mode before it exists).
  returned: always
  type: dict
  contains:
    secret_arn:
      description: ARN of the secret.
      type: str
      sample: arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!cluster-1a2b3c-AbCdEf
    secret_status:
      description: Status of the secret (creating, active, rotating, impaired).
      type: str
      sample: active
    kms_key_id:
      description: KMS key of the secret.
      type: str
      sample: arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
  sample: {"secret_arn": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!cluster-1a2b3c-AbCdEf",
           "secret_status": "active", "kms_key_id": "arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c"}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def describe_cluster(client, module, identifier):
    try:
        return client.describe_db_clusters(aws_retry=True, DBClusterIdentifier=identifier)["DBClusters"][0]
    except is_boto3_error_code("DBClusterNotFoundFault"):
        module.fail_json(msg="DB cluster %s does not exist" % identifier)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe DB cluster %s" % identifier)


def modify_request(identifier, kms_key_id):
    """The ModifyDBCluster parameters that hand the password to Secrets Manager."""
    request = {"DBClusterIdentifier": identifier, "ManageMasterUserPassword": True, "ApplyImmediately": True}
    if kms_key_id:
        request["MasterUserSecretKmsKeyId"] = kms_key_id
    return request


def main():
    argument_spec = dict(
        db_cluster_identifier=dict(type="str", required=True),
        master_user_secret_kms_key_id=dict(type="str", no_log=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff(retries=5))
    identifier = module.params["db_cluster_identifier"]
    cluster = describe_cluster(client, module, identifier)
    secret = cluster.get("MasterUserSecret") or {}
    changed = not secret
    if changed and not module.check_mode:
        try:
            request = modify_request(identifier, module.params["master_user_secret_kms_key_id"])
            cluster = client.modify_db_cluster(aws_retry=True, **request)["DBCluster"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            module.fail_json_aws(e, msg="Failed to let RDS manage the master password of %s" % identifier)
        secret = cluster.get("MasterUserSecret") or {}
    module.exit_json(
        changed=changed,
        master_user_secret=camel_dict_to_snake_dict(secret),
        diff={"before": {"manage_master_user_password": not changed}, "after": {"manage_master_user_password": True}},
    )


if __name__ == "__main__":
    main()
