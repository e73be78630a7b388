#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: exasol_exaoperation_jdbc_driver
short_description: Register a JDBC driver in EXAoperation (Exasol 6.x and 7.0)
version_added: 0.1.0
description:
  - Adds, updates or removes a JDBC driver through the EXAoperation XML-RPC interface
    (C(addJDBCDriver), C(editJDBCDriver), C(uploadFile), C(removeJARFiles), C(deleteSubObject)),
    the way Exasol 6.x and 7.0 register drivers. From Exasol 7.1 on, drivers live in BucketFS
    under C(drivers/jdbc/) instead (role C(virtualis.aurora.exasol_jdbc_driver) handles both).
    Exasol 8.x and 2025.x have no EXAoperation at all; the role refuses this module's path there.
  - The driver is found by its name (O(name)). Its main class, prefix, security manager flag and
    comment are compared and edited when different.
  - Jar files are compared by file name, since EXAoperation offers no checksum of an uploaded jar;
    give jars versioned file names (as C(postgresql-42.7.14.jar)) so that a new version is a new name.
    When the set of names differs, the jars of the driver are removed and the wanted ones uploaded.
  - Nothing is left half-registered by a failed first registration; when uploading a jar of a new
    driver fails, the module deletes the driver it has just added.
  - Runs where the task runs (usually the controller); needs only the Python standard library.
    A jar is sent base64-encoded inside one XML-RPC request, so it is held in memory (drivers are
    a few MB).
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.check_mode
  - virtualis.aurora.attributes.diff_mode
  - virtualis.aurora.attributes.idempotent
  - virtualis.aurora.exaoperation
options:
  name:
    description: Driver name (C(jdbc_name)); the name used in C(IMPORT ... FROM JDBC DRIVER=...).
    type: str
    required: true
  main_class:
    description: Main class of the driver (C(jdbc_main)).
    type: str
    default: org.postgresql.Driver
  prefix:
    description: URL prefix the driver serves (C(jdbc_prefix)); starts with C(jdbc:) and ends with C(:).
    type: str
    default: "jdbc:postgresql:"
  disable_security_manager:
    description:
      - Run the driver without Exasol's Java security manager. The PostgreSQL driver needs this to
        read the JVM's truststore for TLS.
    type: bool
    default: true
  comment:
    description: Free-text description; not managed when omitted.
    type: str
  jars:
    description:
      - Local jar files of the driver, on the machine the task runs on. Required with O(state=present).
    type: list
    elements: path
  state:
    description: V(present) registers the driver, V(absent) deletes it with its jars.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Register the PostgreSQL JDBC driver on Exasol 7.0
  virtualis.aurora.exasol_exaoperation_jdbc_driver:
    url: https://exasol-license.example.com/cluster1
    user: admin
    password: "{{ exaoperation_password }}"
    ca_cert: /etc/pki/exasol-ca.pem
    name: POSTGRESQL
    jars:
      - /var/cache/drivers/postgresql-42.7.14.jar
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
driver_id:
  description: EXAoperation object name of the driver; null when it does not exist.
  returned: always
  type: str
  sample: jdbc_driver_3
jars:
  description: File names of the driver's jars after the run.
  returned: always
  type: list
  elements: str
  sample: [postgresql-42.7.14.jar]
diff:
  description: The driver's settings and jar names before and after.
  returned: when diff mode is on
  type: dict
  sample:
    before: {}
    after: {jdbc_name: POSTGRESQL, jdbc_main: org.postgresql.Driver, jdbc_prefix: "jdbc:postgresql:",
            disable_security_manager: true, jars: [postgresql-42.7.14.jar]}
"""

import os
from xmlrpc.client import Binary

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtualis.aurora.plugins.module_utils._exaoperation import (
    ExaOperationError,
    exaoperation_argument_spec,
    exaoperation_from_params,
)

SETTINGS = ("jdbc_main", "jdbc_prefix", "disable_security_manager", "comment")


def argument_spec():
    spec = exaoperation_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        main_class=dict(type="str", default="org.postgresql.Driver"),
        prefix=dict(type="str", default="jdbc:postgresql:"),
        disable_security_manager=dict(type="bool", default=True),
        comment=dict(type="str"),
        jars=dict(type="list", elements="path"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    return spec


def driver_ids(api):
    """Object names of all drivers; getAllJDBCDrivers may answer names, pairs or dicts."""
    ids = []
    for entry in api.call("getAllJDBCDrivers") or []:
        if isinstance(entry, dict):
            entry = entry.get("id") or entry.get("name")
        elif isinstance(entry, (list, tuple)):
            entry = entry[0] if entry else None
        if entry:
            ids.append(str(entry))
    return ids


def read_driver(api, driver_id):
    """The driver's settings and jar file names, normalised for comparison."""
    props = api.call_object(driver_id, "getProperties") or {}
    if "jdbc_name" not in props:  # without names, a new driver could duplicate an existing one
        raise ExaOperationError(
            "EXAoperation did not report the name of JDBC driver %s (getProperties "
            "has no jdbc_name), so the module cannot tell which driver is which" % driver_id
        )
    state = dict(
        jdbc_name=props.get("jdbc_name"),
        jdbc_main=props.get("jdbc_main"),
        jdbc_prefix=props.get("jdbc_prefix"),
        disable_security_manager=bool(props.get("disable_security_manager")),
        comment=props.get("comment") or None,
    )
    state["jars"] = sorted(str(url).rstrip("/").rsplit("/", 1)[-1] for url in props.get("jdbc_jars") or [])
    return state


def find_driver(api, name):
    for driver_id in driver_ids(api):
        state = read_driver(api, driver_id)
        if state["jdbc_name"] == name:
            return driver_id, state
    return None, {}


def wanted_state(params):
    state = dict(
        jdbc_name=params["name"],
        jdbc_main=params["main_class"],
        jdbc_prefix=params["prefix"],
        disable_security_manager=params["disable_security_manager"],
        comment=params["comment"],
    )
    state["jars"] = sorted(os.path.basename(path) for path in params["jars"] or [])
    return state


def upload_jars(api, driver_id, paths):
    for path in paths:
        with open(path, "rb") as handle:
            api.call_object(driver_id, "uploadFile", Binary(handle.read()), os.path.basename(path))


def create_driver(api, params, wanted):
    """addJDBCDriver, then the jars; deletes the new driver again when an upload fails."""
    settings = {key: wanted[key] for key in ("jdbc_name",) + SETTINGS if wanted[key] is not None}
    driver_id = api.call("addJDBCDriver", settings)
    try:
        upload_jars(api, driver_id, params["jars"])
    except (ExaOperationError, OSError) as exc:
        try:
            api.call("deleteSubObject", driver_id)
        except ExaOperationError as cleanup:
            raise ExaOperationError(
                "%s; removing the half-registered driver %s failed too: %s" % (exc, driver_id, cleanup)
            )
        raise ExaOperationError("%s (the new driver %s was removed again)" % (exc, driver_id))
    return driver_id


def update_driver(api, params, driver_id, before, wanted):
    """Edit what differs; returns True when something had to change."""
    edits = {key: wanted[key] for key in SETTINGS if wanted[key] is not None and wanted[key] != before[key]}
    jars_differ = wanted["jars"] != before["jars"]
    if not params["_check"]:
        if edits:
            api.call_object(driver_id, "editJDBCDriver", edits)
        if jars_differ:
            if set(before["jars"]) - set(wanted["jars"]):
                api.call_object(driver_id, "removeJARFiles")
                todo = params["jars"]
            else:
                todo = [p for p in params["jars"] if os.path.basename(p) not in before["jars"]]
            upload_jars(api, driver_id, todo)
    return bool(edits) or jars_differ


def ensure(module, api):
    params = dict(module.params, _check=module.check_mode)
    driver_id, before = find_driver(api, params["name"])
    if params["state"] == "absent":
        if driver_id and not module.check_mode:
            api.call("deleteSubObject", driver_id)
        return bool(driver_id), None, before, {}
    wanted = wanted_state(params)
    if driver_id is None:
        if not module.check_mode:
            driver_id = create_driver(api, params, wanted)
        return True, driver_id, before, wanted
    changed = update_driver(api, params, driver_id, before, wanted)
    after = dict(wanted, comment=wanted["comment"] if wanted["comment"] is not None else before["comment"])
    return changed, driver_id, before, after


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(), supports_check_mode=True, required_if=[["state", "present", ["jars"]]]
    )
    for path in module.params["jars"] or []:
        if not os.path.isfile(path):
            module.fail_json(msg="jar %s does not exist or is not a regular file" % path)
    if not module.params["prefix"].startswith("jdbc:") or not module.params["prefix"].endswith(":"):
        module.fail_json(msg="prefix must start with 'jdbc:' and end with ':', got %r" % module.params["prefix"])
    try:
        changed, driver_id, before, after = ensure(module, exaoperation_from_params(module.params))
    except ExaOperationError as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=changed, driver_id=driver_id, jars=after.get("jars", []))
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
