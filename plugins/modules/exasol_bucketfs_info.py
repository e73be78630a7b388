#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: exasol_bucketfs_info
short_description: List the files of an Exasol BucketFS bucket and read small ones
version_added: 0.2.0
description:
  - Lists the files of a bucket of an Exasol BucketFS service over HTTP(S), optionally only those
    below a directory, and returns the text of the small files named in O(read) (C(settings.cfg)).
  - The same connection, retries and error messages as M(virtualis.aurora.exasol_bucketfs_upload),
    so that roles need no C(ansible.builtin.uri) calls of their own against BucketFS.
  - 'Runs where the task runs, usually the controller (C(delegate_to: localhost)); it needs only the
    Python standard library.'
author:
  - virtualis.aurora developers (@virtualis)
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.info_module
  - virtualis.aurora.bucketfs
options:
  directory:
    description:
      - Only the files below this directory of the bucket (for example V(drivers/jdbc/postgresql)).
      - Without it, every file of the bucket.
    type: str
  read:
    description:
      - Paths in the bucket whose content to return in RV(contents), as UTF-8 text.
      - A missing file is left out of RV(contents); a file larger than 64 KiB fails the task.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Find the jars of the driver directory and read its settings.cfg
  virtualis.aurora.exasol_bucketfs_info:
    url: https://exasol-node-1:2581
    password: "{{ bucketfs_write_password }}"
    directory: drivers/jdbc/postgresql
    read: [drivers/jdbc/postgresql/settings.cfg]
  delegate_to: localhost
  register: driver_dir
"""

RETURN = r"""
files:
  description: The paths of the files below O(directory) (all, without it), sorted, without a leading C(/).
  returned: success
  type: list
  elements: str
  sample: [drivers/jdbc/postgresql/postgresql-42.7.14.jar, drivers/jdbc/postgresql/settings.cfg]
contents:
  description: The text of each file of O(read) that exists, by path.
  returned: success
  type: dict
  sample: {drivers/jdbc/postgresql/settings.cfg: "DRIVERNAME=POSTGRESQL\n"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import (
    BucketFSError,
    bucket_path,
    bucketfs_argument_spec,
    client_from_params,
)

READ_LIMIT = 64 * 1024


def below(files, directory):
    """The paths of files inside directory (every path without one), sorted."""
    prefix = bucket_path(directory.rstrip("/"), "directory") + "/" if directory else ""
    return sorted(path.lstrip("/") for path in files if path.lstrip("/").startswith(prefix))


def read_files(client, paths):
    """{path: text} of the paths that exist; BucketFSError for a file above READ_LIMIT."""
    contents = {}
    for path in paths:
        data = client.read_head(bucket_path(path, "read"), READ_LIMIT + 1)
        if data is not None and len(data) > READ_LIMIT:
            raise BucketFSError(
                "%s is larger than %d bytes: read is for small files" % (client.file_url(path), READ_LIMIT)
            )
        if data is not None:
            contents[path] = data.decode("utf-8", "replace")
    return contents


def main():
    spec = bucketfs_argument_spec()
    spec.update(directory=dict(type="str"), read=dict(type="list", elements="str", default=[]))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        client = client_from_params(module.params)
        files = below(client.list(), module.params["directory"])
        contents = read_files(client, module.params["read"])
    except BucketFSError as exc:
        module.fail_json(msg=str(exc), status=exc.status)
    module.exit_json(changed=False, files=files, contents=contents)


if __name__ == "__main__":
    main()
