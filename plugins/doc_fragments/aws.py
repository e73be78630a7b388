# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# For this collection's AWS modules, next to amazon.aws.common.modules, amazon.aws.region.modules
# and amazon.aws.boto3 (connection options, shared with amazon.aws through module_defaults).

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Membership of the group/virtualis.aurora.aws action group of meta/runtime.yml.
    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/virtualis.aurora.aws) (which extends C(group/amazon.aws.aws)) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - virtualis.aurora.aws
"""
