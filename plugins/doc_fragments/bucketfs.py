# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The BucketFS connection options, declared once. The matching argument spec is
# bucketfs_argument_spec() in plugins/module_utils/_bucketfs.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Address of the BucketFS service, C(http://HOST:PORT) or C(https://HOST:PORT), without a path.
      - Exasol 7.1 defaults to port 2580 (HTTP) and 2581 (HTTPS); Exasol 8 usually serves HTTPS on 2581.
      - Credentials in the URL are refused; use O(user) and O(password).
      - An C(http://) URL works but sends the password (and the files) in clear; the module warns every time.
    type: str
    required: true
  bucket:
    description: Name of the bucket (a plain name, no C(/) and no C(..)).
    type: str
    default: default
  service:
    description:
      - Name of the BucketFS service, used to build the path a UDF sees, C(/buckets/<service>/<bucket>/<path>).
      - It is not sent to the server; the service is chosen by O(url).
    type: str
    default: bfsdefault
  user:
    description:
      - BucketFS user. V(w) may read and write, V(r) may only read.
    type: str
    default: w
  password:
    description:
      - Password of O(user) for O(bucket) (the bucket's write password for V(w)).
    type: str
    required: true
  validate_certs:
    description:
      - Verify the server certificate and its name when O(url) is HTTPS.
      - Only set to V(false) on a private test system.
    type: bool
    default: true
  ca_cert:
    description:
      - PEM file with the CA certificates that sign the BucketFS server certificate.
      - Without it, the system's trust store is used.
    type: path
    aliases: [ca_path]
  timeout:
    description: Seconds to wait for the server on each connection or read.
    type: int
    default: 60
  retries:
    description:
      - How often to retry a request after a connection error or a 5xx answer, with exponential
        backoff from 0.5 seconds (capped at 30 seconds).
      - A 401, 403 or 404 answer is never retried.
    type: int
    default: 5
"""
