#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: exasol_bucketfs_upload
short_description: Upload a file to (or delete it from) an Exasol BucketFS bucket
version_added: 0.1.0
description:
  - Puts a local file into a bucket of an Exasol BucketFS service over HTTP(S), or removes it.
  - 'B(Where it runs.) The module talks to BucketFS over the network from the machine the task runs
    on; O(src) is read there. Usually that is the controller (C(delegate_to: localhost)); it needs
    only the Python standard library.'
  - B(Idempotence.) BucketFS has no checksum or ETag API, so the module compares content. It GETs
    the existing file and compares it with O(src) chunk by chunk while streaming; a different
    C(Content-Length) or the first differing chunk ends the check early. When the file is the same,
    nothing is uploaded, so a rerun sends no file body (it receives one download of the file, about
    1 second for 200 MB in the lab).
    A checksum stored next to the file (a C(.sha256) sidecar) would be cheaper but is not reliable
    (anyone may overwrite the file without updating the sidecar, and UDFs would see the sidecar),
    so the module does not use one. Set O(force=true) to upload without comparing.
  - B(Streaming.) The file is sent with C(sendfile) over HTTP and in 4 MiB chunks over HTTPS, and
    compared in 4 MiB chunks; its sha256 is computed in a helper thread while it is sent. Memory use
    does not grow with the file's size (about 4 MB more for a 200 MB file than for a 1 KiB one).
  - B(Retries.) Connection errors and 5xx answers are retried with exponential backoff (O(retries));
    a 401, 403 or 404 answer fails at once with a message naming the likely cause.
  - B(Visibility.) BucketFS spreads a new file to the nodes asynchronously; with O(wait_visible)
    the module polls the bucket listing until the file is listed (or no longer listed for
    O(state=absent)).
author:
  - virtualis.aurora developers (@virtualis)
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the bucket (the comparison above) but neither uploads nor deletes.
  diff_mode:
    support: full
    details:
      - The diff shows the path, whether the file exists and its sha256 before and after. Computing
        the remote sha256 needs the whole remote file to be read, even when its size already
        differs; with O(state=absent) the remote sha256 is not computed.
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.idempotent
  - virtualis.aurora.attributes.action_group_bucketfs
  - virtualis.aurora.bucketfs
options:
  path:
    description:
      - Path of the file inside the bucket, for example C(jars/postgresql-42.7.4.jar).
      - Leading slashes are ignored.
    type: str
    required: true
  src:
    description:
      - Local file to upload, on the machine the task runs on.
      - Required with O(state=present) unless O(content) is given.
    type: path
  content:
    description:
      - Text to upload instead of O(src), for small files such as a JDBC driver's C(settings.cfg).
    type: str
  checksum:
    description:
      - Expected sha256 of O(src), as C(sha256:<hex>) or C(<hex>). The module fails before
        uploading anything when O(src) does not match.
    type: str
  state:
    description:
      - V(present) uploads the file when it is missing or different; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Upload without comparing with the existing file first.
    type: bool
    default: false
  wait_visible:
    description:
      - Poll the bucket listing until the file is listed (O(state=present)) or no longer listed
        (O(state=absent)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds O(wait_visible) waits before failing.
    type: int
    default: 120
notes:
  - An archive (C(.tar.gz), C(.zip)...) uploaded to BucketFS is also unpacked by BucketFS; the module
    only manages the archive itself.
seealso:
  - name: BucketFS documentation
    description: Exasol's description of BucketFS and its HTTP interface.
    link: https://docs.exasol.com/db/latest/database_concepts/bucketfs/bucketfs.htm
"""

EXAMPLES = r"""
- name: Upload the PostgreSQL JDBC driver to the default bucket
  virtualis.aurora.exasol_bucketfs_upload:
    url: https://exasol-node1.example.com:2581
    bucket: default
    password: "{{ bucketfs_write_password }}"
    ca_cert: /etc/pki/exasol-ca.pem
    path: jars/postgresql-42.7.4.jar
    src: /var/cache/drivers/postgresql-42.7.4.jar
    checksum: sha256:f41ab8f7a24bc0e7a4f4c6f7b6a3d8a4a79ab3d5f1d20e5a1d1e0bb4ec67e1b1
  delegate_to: localhost
  run_once: true

- name: Write a small file from text
  virtualis.aurora.exasol_bucketfs_upload:
    url: http://exasol-node1.example.com:2580
    password: "{{ bucketfs_write_password }}"
    path: drivers/jdbc/postgresql/settings.cfg
    content: |
      DRIVERNAME=POSTGRESQL
      PREFIX=jdbc:postgresql:
  delegate_to: localhost

- name: Remove an old adapter jar
  virtualis.aurora.exasol_bucketfs_upload:
    url: https://exasol-node1.example.com:2581
    password: "{{ bucketfs_write_password }}"
    path: jars/virtual-schema-dist-11.0.0-postgresql-2.0.0.jar
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
url:
  description: URL of the file in BucketFS (without credentials).
  returned: always
  type: str
  sample: https://exasol-node1.example.com:2581/default/jars/postgresql-42.7.4.jar
udf_path:
  description: Path under which UDFs and adapter scripts see the file.
  returned: always
  type: str
  sample: /buckets/bfsdefault/default/jars/postgresql-42.7.4.jar
sha256:
  description: sha256 of the local file (O(state=present)); null with O(state=absent).
  returned: always
  type: str
  sample: 3f2bd7c1b5f0d6bb7e1c3a5bd5cfe3d45bda5b0a04e7bd8c7d17c90b1a6b9a0f
previous_state:
  description: What was in BucketFS before, V(absent), V(different) or V(same) (V(unknown) with O(force)).
  returned: always
  type: str
  sample: absent
bytes_sent:
  description: Number of file body bytes sent to BucketFS (0 when nothing was uploaded).
  returned: always
  type: int
  sample: 1027073
diff:
  description: Path and sha256 before and after, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {path: jars/a.jar, sha256: null}, after: {path: jars/a.jar, sha256: 3f2b...}}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.virtualis.aurora.plugins.module_utils._bucketfs import (
    BucketFSError,
    bucketfs_argument_spec,
    client_from_params,
    sha256_file,
)


def argument_spec():
    spec = bucketfs_argument_spec()
    spec.update(
        path=dict(type="str", required=True),
        src=dict(type="path"),
        content=dict(type="str"),
        checksum=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force=dict(type="bool", default=False),
        wait_visible=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
    )
    return spec


def local_source(module):
    """The file to upload: src, or content written to a private temporary file."""
    if module.params["content"] is None:
        src = module.params["src"]
        if not os.path.isfile(src):
            module.fail_json(msg="src %s does not exist or is not a regular file" % src)
        return src
    src = os.path.join(module.tmpdir, "content")
    with open(src, "wb") as handle:
        handle.write(to_bytes(module.params["content"], errors="surrogate_or_strict"))
    return src


def check_checksum(module, src):
    """Fail before any upload when src does not have the expected sha256."""
    expected = module.params["checksum"]
    if not expected:
        return None
    expected = expected.lower().split(":", 1)[-1].strip()
    actual = sha256_file(src)
    if actual != expected:
        module.fail_json(msg="src %s has sha256 %s, expected %s: refusing to upload it" % (src, actual, expected))
    return actual


def ensure_present(module, client, path):
    src = local_source(module)
    local_sha = check_checksum(module, src)
    if module.params["force"]:
        previous, before_sha = "unknown", None
    else:
        previous, before_sha = client.compare(path, src, full_hash=module._diff)
    changed = previous != "same"
    if changed and not module.check_mode:
        local_sha = client.upload(path, src)
    local_sha = local_sha or sha256_file(src)
    if previous == "same":
        before_sha = local_sha
    return changed, previous, before_sha, local_sha


def ensure_absent(module, client, path):
    present = client.exists(path)
    if present and not module.check_mode:
        client.delete(path)
    return present, "same" if present else "absent"


def wait(module, client, path, present):
    if module.check_mode or not module.params["wait_visible"]:
        return
    if not client.wait_visible(path, present=present, timeout=module.params["wait_timeout"]):
        module.fail_json(msg="%s was not %s in the listing of bucket %s within %d seconds" % (
            path, "listed" if present else "removed", client.bucket, module.params["wait_timeout"]))


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[["src", "content"]],
        required_if=[["state", "present", ["src", "content"], True]],
        supports_check_mode=True,
    )
    path = module.params["path"].lstrip("/")
    if not path or path.endswith("/"):
        module.fail_json(msg="path must name a file inside the bucket, got %r" % module.params["path"])
    present = module.params["state"] == "present"
    try:
        client = client_from_params(module.params)
        if present:
            changed, previous, before_sha, sha = ensure_present(module, client, path)
        else:
            (changed, previous), before_sha, sha = ensure_absent(module, client, path), None, None
        wait(module, client, path, present)
    except BucketFSError as exc:
        module.fail_json(msg=str(exc), status=exc.status)
    result = dict(changed=changed, url=client.file_url(path), udf_path=client.udf_path(path), sha256=sha,
                  previous_state=previous, bytes_sent=client.bytes_sent)
    if module._diff:
        result["diff"] = dict(before=dict(path=path, sha256=before_sha if previous != "absent" else None,
                                          present=previous != "absent"),
                              after=dict(path=path, sha256=sha, present=present))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
