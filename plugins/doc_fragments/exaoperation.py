# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The EXAoperation connection options, declared once. The matching argument spec is
# exaoperation_argument_spec() in plugins/module_utils/_exaoperation.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - XML-RPC address of the EXAoperation cluster, C(https://HOST/cluster1) (HOST is the license
        server or the node that runs EXAoperation).
      - Credentials in the URL are refused; use O(user) and O(password).
      - An C(http://) URL works but sends the password in clear; the module warns every time.
    type: str
    required: true
  user:
    description: EXAoperation user with the Administrator role.
    type: str
    default: admin
  password:
    description: Password of O(user).
    type: str
    required: true
  validate_certs:
    description:
      - Verify the EXAoperation server certificate and its name.
      - Only set to V(false) on a private test system.
    type: bool
    default: true
  ca_cert:
    description:
      - PEM file with the CA certificates that sign the EXAoperation certificate.
      - Without it, the system's trust store is used.
    type: path
    aliases: [ca_path]
  timeout:
    description: Seconds to wait for EXAoperation on each call.
    type: int
    default: 60
"""
