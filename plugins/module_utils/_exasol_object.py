# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One skeleton for the modules that manage one Exasol object (connection, adapter script,
virtual schema), in the manner of amazon.aws's AnsibleAWSModule: the shared steps live here once,
a module keeps only what is particular to its object.

Private to virtualis.aurora.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import (
    ExasolInputError,
    Session,
    exasol_argument_spec,
)


class ExasolObjectModule:
    """Parse and check the input, read the current state, plan once, apply unless in check mode,
    report `changed`, `queries` and a secret-free diff.

    A subclass sets `argument_spec` (its own options; the connection options are added) and
    `module_kwargs` (mutually_exclusive, required_if, ...) and fills in:

    - normalise(): check and normalise self.params, keep the result on self; raise
      ExasolInputError for bad input, which fails before any connection is made;
    - read(): the current state, read through self.session;
    - plan(current): the statements, [(sql, display)], where display hides secrets;
    - result(current, statements): the module's own return values; the session is still open
      and the statements are applied (unless in check mode);
    - diff(current, statements): {before, after}, never a secret.
    """

    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = exasol_argument_spec()
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params
        self.session = None

    def secrets(self):
        """Values redacted from messages besides login_password (passwords among the options)."""
        return []

    def run(self):
        try:
            self.normalise()
        except ExasolInputError as exc:
            self.module.fail_json(msg=str(exc))
        self.session = Session(self.module, secrets=list(self.secrets()) + [self.params["login_password"]])
        current = self.read()
        statements = self.plan(current)
        if statements and not self.module.check_mode:
            self.session.apply(statements)
        result = self.result(current, statements)
        self.session.close()
        result.update(changed=bool(statements), queries=[display for _sql, display in statements])
        if self.module._diff:
            result["diff"] = self.diff(current, statements)
        self.module.exit_json(**result)

    def normalise(self):
        raise NotImplementedError

    def read(self):
        raise NotImplementedError

    def plan(self, current):
        raise NotImplementedError

    def result(self, current, statements):
        raise NotImplementedError

    def diff(self, current, statements):
        raise NotImplementedError
