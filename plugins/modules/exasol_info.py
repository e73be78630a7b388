#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: exasol_info
short_description: Read the Exasol version and tell which generation (6.x/7.0, 7.1, 8.x, 2025.x) it is
version_added: 0.2.0
description:
  - Reads C(databaseProductVersion) from C(EXA_METADATA) over the WebSocket API (pyexasol, TLS
    verified as the other Exasol modules of this collection verify it) and returns it with the
    generation that decides how JDBC drivers are registered.
  - V(6.x and 7.0) register drivers in EXAoperation; from V(7.1) on in BucketFS
    (C(drivers/jdbc/.../settings.cfg)); from 8.0.3 on (V(8.x) and V(2025.x), which has no
    EXAoperation) C(settings.cfg) needs only C(DRIVERNAME), C(PREFIX), C(FETCHSIZE) and C(INSERTSIZE).
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.exasol
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
options: {}
seealso:
  - name: Add JDBC driver (Exasol documentation)
    description: settings.cfg keys; optional JAR and DRIVERMAIN from 8.0.3 on.
    link: https://docs.exasol.com/db/latest/administration/on-premise/manage_drivers/add_jdbc_driver.htm
"""

EXAMPLES = r"""
- name: Which Exasol is this?
  virtualis.aurora.exasol_info:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    ca_cert: /etc/pki/exasol-ca.pem
  register: exasol
  delegate_to: localhost
"""

RETURN = r"""
version:
  description: C(databaseProductVersion) as the database reports it.
  returned: success
  type: str
  sample: "2025.1.3"
generation:
  description: V(6.x and 7.0), V(7.1), V(8.x) or V(2025.x).
  returned: success
  type: str
  sample: "2025.x"
exaoperation:
  description: Whether this generation registers JDBC drivers through EXAoperation.
  returned: success
  type: bool
  sample: false
minimal_settings:
  description: Whether C(settings.cfg) may leave out C(JAR) and C(DRIVERMAIN) (8.0.3 and later).
  returned: success
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import (
    Session,
    exasol_argument_spec,
    parse_version,
)


def generation(version):
    """The generation name for a version tuple such as (7, 1, 26) or (2025, 1, 3)."""
    if version >= (2025,):
        return "2025.x"
    if version >= (8,):
        return "8.x"
    if version >= (7, 1):
        return "7.1"
    return "6.x and 7.0"


def main():
    module = AnsibleModule(argument_spec=exasol_argument_spec(), supports_check_mode=True)
    session = Session(module, secrets=[module.params["login_password"]])
    text = session.version_text()
    session.close()
    version = parse_version(text)
    if not version:
        module.fail_json(msg="Exasol did not report a databaseProductVersion in EXA_METADATA (got %r)" % text)
    module.exit_json(
        changed=False,
        version=text,
        generation=generation(version),
        exaoperation=version < (7, 1),
        minimal_settings=version >= (8, 0, 3),
    )


if __name__ == "__main__":
    main()
