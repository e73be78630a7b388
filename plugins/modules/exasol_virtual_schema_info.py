#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: exasol_virtual_schema_info
short_description: List Exasol virtual schemas with the adapter script and connection each one uses
version_added: 0.2.0
description:
  - Reads C(EXA_ALL_VIRTUAL_SCHEMAS) and the C(CONNECTION_NAME) property of each virtual schema
    over the WebSocket API (pyexasol, TLS verified as the other Exasol modules of this collection
    verify it).
  - Tells what else depends on an adapter script or a connection before either is dropped. Exasol
    refuses to drop an adapter script that a virtual schema still references, but drops a
    connection that a virtual schema names, which then fails on its next query.
  - No other property is returned, since old-style virtual schemas may hold credentials in
    C(USERNAME) and C(PASSWORD) properties.
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.exasol
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
options:
  name:
    description:
      - Only this virtual schema (a regular identifier is folded to upper case, as Exasol does).
      - Without it, every virtual schema the login user can see.
    type: str
notes:
  - C(EXA_ALL_VIRTUAL_SCHEMAS) shows the virtual schemas the login user may access; log in as a
    user with C(SELECT ANY DICTIONARY) (or C(SYS)) to see all of them.
seealso:
  - name: DROP SCRIPT (Exasol documentation)
    description: An adapter script still referenced by a virtual schema cannot be dropped.
    link: https://docs.exasol.com/db/latest/sql/drop_script.htm
  - module: virtualis.aurora.exasol_virtual_schema
"""

EXAMPLES = r"""
- name: Which virtual schemas use adapter script ADAPTER.JDBC_ADAPTER?
  virtualis.aurora.exasol_virtual_schema_info:
    login_host: exasol.example.com
    login_user: sys
    login_password: "{{ vault_exasol_password }}"
    ca_cert: /etc/pki/exasol-ca.pem
  register: found
  delegate_to: localhost

- name: Show them
  ansible.builtin.debug:
    msg: "{{ found.virtual_schemas | selectattr('adapter_script', 'equalto', 'JDBC_ADAPTER') | map(attribute='name') | list }}"
"""

RETURN = r"""
virtual_schemas:
  description: The virtual schemas, by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Name of the virtual schema.
      type: str
      sample: AURORA
    adapter_schema:
      description: Schema of its adapter script.
      type: str
      sample: ADAPTER
    adapter_script:
      description: Name of its adapter script.
      type: str
      sample: JDBC_ADAPTER
    connection:
      description: Its C(CONNECTION_NAME) property; null when it has none.
      type: str
      sample: AURORA_CONNECTION
  sample:
    - {name: AURORA, adapter_schema: ADAPTER, adapter_script: JDBC_ADAPTER, connection: AURORA_CONNECTION}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import (
    ExasolInputError,
    Session,
    exasol_argument_spec,
    object_name,
)
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol_catalog import virtual_schemas


def main():
    argument_spec = exasol_argument_spec()
    argument_spec.update(name=dict(type="str"))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        name = object_name(module.params["name"], "virtual schema") if module.params["name"] else None
    except ExasolInputError as exc:
        module.fail_json(msg=str(exc))
    session = Session(module, secrets=[module.params["login_password"]])
    found = virtual_schemas(session, name)
    session.close()
    module.exit_json(changed=False, virtual_schemas=found)


if __name__ == "__main__":
    main()
