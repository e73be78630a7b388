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
  - B(Idempotence.) BucketFS has no checksum, ETag or modification-time API, so the module decides
    in one of two ways (O(compare)). C(content) GETs the existing file and compares it with O(src)
    chunk by chunk while streaming; a different C(Content-Length) or the first differing chunk ends
    the check early; a rerun with the same file receives one download of it. C(sidecar) keeps the
    file's sha256 in a sidecar file next to it, C(<path>.sha256) (one C(sha256sum) line), written
    after every upload; a rerun reads the sidecar and the remote file's size (the headers of a GET
    whose body is not read), hashes O(src) locally, and downloads nothing. The default, C(auto),
    uses the sidecar for files of 64 MiB and more (script-language containers, large jars) and the
    content below that (drivers, C(settings.cfg)), where a download costs less than a second.
  - 'B(The sidecar trade-off.) The sidecar is what this module uploaded, not proof of what is in
    BucketFS now: if another tool replaces the file with different content of the B(same size) and
    leaves the sidecar alone, a rerun with C(sidecar) reports V(same) and does not repair it (a
    different size, a deleted file or a deleted sidecar are noticed). Use O(compare=content) (or
    O(force=true)) where other tools write the same paths. The sound way that reads nothing over
    the network needs the database, not BucketFS. The bucketfs-java library by Exasol creates a checksum UDF
    and runs it over C(/buckets/...) (C(ChecksumUploadNecessityCheckStrategy) in
    github.com/exasol/bucketfs-java, C(src/main/java/com/exasol/bucketfs/uploadnecessity/)); this
    module has only the HTTP interface of BucketFS, so it keeps the sidecar instead. The sidecar is visible to UDFs as
    C(/buckets/<service>/<bucket>/<path>.sha256), an ordinary file to Exasol (not an archive that
    BucketFS unpacks, not a jar). A sidecar that does
    not hold exactly one C(<sha256>  <file name>) line for this file is ignored (the content
    decides, and a correct sidecar is written). With O(compare=content) no sidecar is created, but
    one that exists is rewritten on upload so that it never vouches for old content.'
  - B(Streaming and memory.) The file is sent with C(sendfile) over HTTP (no copy into Python, like
    C(curl -T)) and from one reused 4 MiB buffer over HTTPS. Its sha256 (for the sidecar and the
    C(sha256) result) is computed once, by a helper thread at the lowest CPU priority (nice 19) while
    the file is sent (not in a pass before it), so on a busy machine the transfer keeps the CPU; a
    file checked against O(checksum) or hashed to compare it is not hashed again. The comparison reads
    the remote file and O(src) into two reused 4 MiB buffers. Memory use does not grow with the
    file's size. What the module spends beyond C(curl -T) is CPU, for the sha256 (about 0.6 CPU seconds
    per GB) and Ansible's module start-up (about 0.25 CPU seconds);
    C(tests/bench/bench_bucketfs_upload.py) measures throughput and memory against C(curl -T).
  - B(Paths.) O(path) must stay inside the bucket. C(.), C(..) and empty components, control characters
    and percent escapes that decode to a dot component or a slash are refused before anything is sent.
  - B(Plain HTTP.) With an C(http://) O(url) the password (basic auth) and the file cross the network
    unencrypted; the module warns every time. Use C(https://) with O(ca_cert) outside private test networks.
  - B(Retries.) Connection errors and 5xx answers are retried with exponential backoff (O(retries));
    a 401, 403 or 404 answer fails at once with a message naming the likely cause.
  - B(Visibility.) BucketFS spreads a new file to the nodes asynchronously; with O(wait_visible)
    the module polls the bucket listing until the file (and a sidecar it wrote or deleted) is listed
    (or no longer listed for O(state=absent)), so the next task sees both.
author:
  - virtualis.aurora developers (@virtualis)
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the bucket (the comparison above) but neither uploads nor deletes, nor writes a sidecar.
  diff_mode:
    support: full
    details:
      - The diff shows the path, whether the file exists and its sha256 before and after. With
        O(compare=content) the remote sha256 needs the whole remote file to be read, even when its
        size already differs; with the sidecar it is the sha256 the sidecar records; with
        O(state=absent) it is not computed.
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.idempotent
  - virtualis.aurora.attributes.action_group_bucketfs
  - virtualis.aurora.bucketfs
options:
  path:
    description:
      - Path of the file inside the bucket, for example C(jars/postgresql-42.7.4.jar).
      - Leading slashes are ignored. C(.), C(..) and empty components are refused (see B(Paths) above).
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
  compare:
    description:
      - How a rerun decides whether the file in BucketFS is already O(src), see B(Idempotence) above.
      - V(sidecar) compares the sha256 recorded in C(<path>.sha256) (written on upload) and the size;
        it downloads nothing. V(content) downloads the file and compares it byte by byte.
        V(auto) is V(sidecar) for files of 64 MiB and more, V(content) below.
    type: str
    choices: [auto, sidecar, content]
    default: auto
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
  - 'Rerun strategy (issue 15): for a file of 64 MiB and more the module trusts the sidecar
    C(<path>.sha256) it wrote itself, plus the remote size, and hashes O(src) afresh on every run
    (1.5 GB, about 1 CPU second; memory flat; nothing downloaded). It does not trust the local
    file''s size and modification time to skip that hash: a file rewritten in place with its size and
    C(mtime) kept would be taken for the old one. Trade-off: a same-size replacement in BucketFS by
    another tool that leaves the sidecar alone is not noticed; O(compare=content) (one download) or
    O(force=true) cover that case.'
  - An archive (C(.tar.gz), C(.zip)...) uploaded to BucketFS is also unpacked by BucketFS; the module
    only manages the archive itself (and its sidecar).
  - O(state=absent) also deletes the sidecar C(<path>.sha256) when one is listed.
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

- name: Upload a script-language container (1.5 GB); a rerun reads only its sidecar checksum
  virtualis.aurora.exasol_bucketfs_upload:
    url: https://exasol-node1.example.com:2581
    password: "{{ bucketfs_write_password }}"
    ca_cert: /etc/pki/exasol-ca.pem
    path: slc/template-Exasol-all-python-3.10.tar.gz
    src: /var/cache/slc/template-Exasol-all-python-3.10.tar.gz
    wait_timeout: 600
  delegate_to: localhost
  run_once: true

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
compared_by:
  description:
    - How the module decided, V(sidecar) (the recorded sha256 and the size), V(content) (a download)
      or V(none) (O(force) or O(state=absent)).
  returned: always
  type: str
  sample: sidecar
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
    bucket_path,
    bucketfs_argument_spec,
    client_from_params,
    sha256_file,
    sidecar_path,
)

# compare=auto keeps a sidecar from this size on: below it a download costs less than a second.
SIDECAR_MIN_SIZE = 64 * 1024 * 1024


def argument_spec():
    spec = bucketfs_argument_spec()
    spec.update(
        path=dict(type="str", required=True),
        src=dict(type="path"),
        content=dict(type="str"),
        checksum=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force=dict(type="bool", default=False),
        compare=dict(type="str", default="auto", choices=["auto", "sidecar", "content"]),
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
    """Fail before any upload when src does not have the expected sha256; its sha256 or None."""
    expected = module.params["checksum"]
    if not expected:
        return None
    expected = expected.lower().split(":", 1)[-1].strip()
    actual = sha256_file(src)
    if actual != expected:
        module.fail_json(msg="src %s has sha256 %s, expected %s: refusing to upload it" % (src, actual, expected))
    return actual


def compare_mode(module, src):
    mode = module.params["compare"]
    if mode == "auto":
        return "sidecar" if os.path.getsize(src) >= SIDECAR_MIN_SIZE else "content"
    return mode


class Plan:
    """What is in BucketFS, what the local file is, and what must be written."""

    def __init__(self, previous, before_sha=None, local_sha=None, compared_by="content", sidecar=None):
        self.previous, self.before_sha, self.local_sha = previous, before_sha, local_sha
        self.compared_by, self.sidecar = compared_by, sidecar  # sidecar: the recorded sha256 or None
        self.sidecar_touched = False

    @property
    def upload(self):
        return self.previous != "same"


def by_content(module, client, path, src, local_sha):
    previous, remote_sha = client.compare(path, src, full_hash=module._diff)
    if previous == "same":
        local_sha = local_sha or remote_sha
    return Plan(previous, remote_sha, local_sha, "content")


def by_sidecar(module, client, path, src, local_sha):
    """Decide from the sidecar and the remote size; the remote body is never read.

    Without a usable sidecar the content decides (one download), and the sidecar is written after.
    """
    recorded = client.read_sidecar(path)
    if recorded is None:
        return by_content(module, client, path, src, local_sha)
    size = client.remote_size(path)
    if size is None:
        return Plan("absent", local_sha=local_sha, compared_by="sidecar", sidecar=recorded)
    if size != os.path.getsize(src):  # no need to hash here: the upload hashes while it sends
        return Plan("different", recorded, local_sha, "sidecar", recorded)
    local_sha = local_sha or sha256_file(src)
    return Plan("same" if recorded == local_sha else "different", recorded, local_sha, "sidecar", recorded)


def plan_present(module, client, path, src, mode):
    local_sha = check_checksum(module, src)
    if module.params["force"]:
        return Plan("unknown", local_sha=local_sha, compared_by="none")
    if mode == "sidecar":
        return by_sidecar(module, client, path, src, local_sha)
    return by_content(module, client, path, src, local_sha)


def ensure_present(module, client, path):
    src = local_source(module)
    mode = compare_mode(module, src)
    plan = plan_present(module, client, path, src, mode)
    # The sidecar must never vouch for content that is not there: it follows every upload, and
    # in sidecar mode a missing or stale one is written. In content mode one is kept only if listed.
    write_sidecar = (plan.upload or plan.sidecar is None) if mode == "sidecar" else None
    if not module.check_mode:
        if plan.upload:
            plan.local_sha = client.upload(path, src, sha256=plan.local_sha)
        if write_sidecar is None and plan.upload:
            write_sidecar = sidecar_path(path) in client.list()
        if write_sidecar:
            client.write_sidecar(path, plan.local_sha or sha256_file(src))
            plan.sidecar_touched = True
    plan.local_sha = plan.local_sha or sha256_file(src)
    if plan.previous == "same":
        plan.before_sha = plan.local_sha
    return plan.upload or bool(write_sidecar), plan


def ensure_absent(module, client, path):
    listed = client.list()
    present = path in listed
    doomed = [p for p in (path, sidecar_path(path)) if p in listed]
    if doomed and not module.check_mode:
        for name in doomed:
            client.delete(name)
    plan = Plan("same" if present else "absent", compared_by="none")
    plan.sidecar_touched = sidecar_path(path) in doomed  # then wait until it is gone, too
    return bool(doomed), plan


def wait(module, client, paths, present):
    """Wait for each path (the file, then its sidecar if written) to be listed or gone."""
    if module.check_mode or not module.params["wait_visible"]:
        return
    for path in paths:
        if not client.wait_visible(path, present=present, timeout=module.params["wait_timeout"]):
            module.fail_json(
                msg="%s was not %s in the listing of bucket %s within %d seconds"
                % (path, "listed" if present else "removed", client.bucket, module.params["wait_timeout"])
            )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[["src", "content"]],
        required_if=[["state", "present", ["src", "content"], True]],
        supports_check_mode=True,
    )
    present = module.params["state"] == "present"
    try:
        path = bucket_path(module.params["path"])
        client = client_from_params(module.params)
        changed, plan = (ensure_present if present else ensure_absent)(module, client, path)
        wait(module, client, [path] + ([sidecar_path(path)] if plan.sidecar_touched else []), present)
    except BucketFSError as exc:
        module.fail_json(msg=str(exc), status=exc.status)
    sha = plan.local_sha if present else None
    result = dict(
        changed=changed,
        url=client.file_url(path),
        udf_path=client.udf_path(path),
        sha256=sha,
        previous_state=plan.previous,
        compared_by=plan.compared_by,
        bytes_sent=client.bytes_sent,
    )
    if module._diff:
        result["diff"] = dict(
            before=dict(
                path=path,
                sha256=plan.before_sha if plan.previous != "absent" else None,
                present=plan.previous != "absent",
            ),
            after=dict(path=path, sha256=sha, present=present),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
