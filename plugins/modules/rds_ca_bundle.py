#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file holds the documentation only: the work is done on the controller by the action
# plugin plugins/action/rds_ca_bundle.py, as for ansible.builtin.debug or set_fact.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_ca_bundle
short_description: Get the Amazon RDS CA bundle once, verified, on the controller
version_added: 0.2.0
description:
  - Downloads the Amazon RDS CA bundle (TLS verified) from O(url), or reads O(src) on the controller.
  - Checks the optional O(checksum), then the signature of every certificate against its issuer
    in the same bundle (a self-signed root against itself). A bundle with a corrupted or forged
    certificate, a certificate whose issuer is missing, a block that does not parse or a PEM block
    that is not a certificate is refused, and nothing is written.
  - Expired certificates are reported (a warning and RV(expired)), not refused; the modules that
    install the bundle decide what to do with them (M(virtualis.aurora.rds_truststore) skips them).
  - The verified bundle is kept under O(cache_dir) in a file named after its sha256,
    C(rds-ca-bundle-<sha256>.pem). A bundle that AWS rotated, or that changed for any other
    reason, gets a new file name, so whatever is built from RV(path) notices the change. The
    bundle is fetched on every run; the cache never stands in for the download.
  - Runs on the controller only (also with C(delegate_to)); the managed hosts are not contacted.
  - This is the one way the roles of this collection get the bundle (M(virtualis.aurora.rds_truststore)
    via the C(exasol_truststore) role, the C(aurora_cluster) smoke test and the C(exasol_virtual_schema)
    BucketFS truststore).
author:
  - virtualis.aurora developers (@virtualis)
options:
  url:
    description:
      - Where to download the bundle from (C(http://) or C(https://)).
      - The default, when neither O(url) nor O(src) is given, is the global bundle
        C(https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem); AWS also publishes
        one per region, C(https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem).
      - Over plain C(http://) without O(checksum) a warning is given - anybody on the path could
        hand out a self-consistent bundle of their own.
      - Mutually exclusive with O(src).
    type: str
  src:
    description:
      - A bundle file on the controller instead of a download (hosts without internet access).
      - A relative path is looked up like the C(src) of M(ansible.builtin.copy) (the role's or
        playbook's C(files) directory).
      - Mutually exclusive with O(url).
    type: path
  checksum:
    description:
      - Expected sha256 of the bundle file, C(sha256:<64 hex digits>) (a bare hex digest is accepted too).
      - Empty - no checksum check; the signatures are verified all the same.
    type: str
    default: ""
  validate_certs:
    description: Verify the TLS certificate of the O(url) server. Keep V(true) outside a lab.
    type: bool
    default: true
  ca_path:
    description: PEM file of the CAs that verify the O(url) server, instead of the controller's default trust.
    type: path
  timeout:
    description: Timeout of the download, in seconds.
    type: int
    default: 30
  expiry_warning_days:
    description:
      - Certificates of the bundle that expire within this many days (and have not yet expired) are
        listed in RV(expiring) and given as a warning, so that a coming RDS CA rotation is noticed in time.
      - C(0) turns the warning off.
    type: int
    default: 90
    version_added: 0.2.0
  cache_dir:
    description:
      - Controller directory for the verified bundle, created mode C(0700).
      - A directory that is a symlink or belongs to another user is refused; a wider mode is tightened to C(0700).
    type: path
    default: ~/.cache/virtualis-aurora/rds_ca_bundle
extends_documentation_fragment:
  - virtualis.aurora.attributes
  - virtualis.aurora.attributes.idempotent
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  bypass_host_loop:
    description: Forces a 'global' task that does not execute per host.
    support: none
  check_mode:
    support: full
    details:
      - Downloads (or reads) and verifies the bundle as in a real run, and returns RV(content);
        writes nothing, so RV(path) exists only when an earlier run cached the same bundle
        (RV(cached)). Run the task with C(check_mode=false) where a later task needs the file in
        check mode; the cache is controller scratch space.
  diff_mode:
    support: none
  platform:
    description: Target operating systems the action can run on.
    support: full
    platforms: posix
    details:
      - Runs on the controller; needs the C(cryptography) Python package there (ansible-core depends on it).
requirements:
  - cryptography >= 42.0 (on the controller)
notes:
  - C(changed) is V(true) when the verified bundle was written to O(cache_dir) (a bundle not seen
    there before); a second run with the same bundle reports no change.
  - The managed hosts never download anything; hand them RV(content) or copy RV(path).
seealso:
  - module: virtualis.aurora.rds_truststore
  - name: Using SSL/TLS to encrypt a connection to a DB instance or cluster (certificate bundles)
    description: Where AWS publishes the global and regional bundles.
    link: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
"""

EXAMPLES = r"""
- name: Get the global bundle, verified, once per play
  virtualis.aurora.rds_ca_bundle:
  register: rds_bundle
  run_once: true
  delegate_to: localhost

- name: Put it into the nodes' truststores
  virtualis.aurora.rds_truststore:
    content: "{{ rds_bundle.content }}"
    truststores: [/etc/pki/ca-trust/extracted/java/cacerts]

- name: A regional bundle with a pinned checksum
  virtualis.aurora.rds_ca_bundle:
    url: https://truststore.pki.rds.amazonaws.com/eu-central-1/eu-central-1-bundle.pem
    checksum: sha256:56a0cae044b6cc433971d964347401692a92ea0294e392753a3ebdaee54d8b84
  register: regional_bundle

- name: A bundle file shipped with the playbook (no internet)
  virtualis.aurora.rds_ca_bundle:
    src: global-bundle.pem
  register: rds_bundle

- name: Use the verified file, also in check mode
  community.postgresql.postgresql_query:
    login_host: aurora-1.cluster-abc.eu-central-1.rds.amazonaws.com
    ssl_mode: verify-full
    ca_cert: "{{ rds_bundle.path }}"
    query: SELECT 1
"""

RETURN = r"""
path:
  description:
    - The verified bundle on the controller, C(<cache_dir>/rds-ca-bundle-<sha256>.pem).
    - In check mode it exists only when RV(cached) is V(true).
  returned: success
  type: str
  sample: /home/me/.cache/virtualis-aurora/rds_ca_bundle/rds-ca-bundle-afb8f45125236bef4e9a005d9e34d8109a787c9f125587aa0a149b18c47c42e1.pem
cached:
  description: Whether RV(path) exists after the task.
  returned: success
  type: bool
  sample: true
content:
  description: The bundle's PEM text, as downloaded or read.
  returned: success
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIEBTCCAu2gAwIBAgIQ...\n-----END CERTIFICATE-----\n"
sha256:
  description: sha256 of the bundle file.
  returned: success
  type: str
  sample: afb8f45125236bef4e9a005d9e34d8109a787c9f125587aa0a149b18c47c42e1
source:
  description: The URL downloaded or the file read.
  returned: success
  type: str
  sample: https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
certificates:
  description: Number of certificates in the bundle.
  returned: success
  type: int
  sample: 108
key_types:
  description: Number of certificates per key type and size.
  returned: success
  type: dict
  sample: {"RSA 2048": 36, "RSA 4096": 36, "EC 384": 36}
expiring:
  description: The certificates that expire within O(expiry_warning_days) days (also given as a warning).
  returned: success
  type: list
  elements: dict
  sample: []
expired:
  description: The certificates whose validity has ended (also given as a warning).
  returned: success
  type: list
  elements: dict
  sample: [{"name": "'Amazon RDS Root 2019 CA'",
            "subject": "CN=Amazon RDS Root 2019 CA,OU=Amazon RDS,O=Amazon Web Services\\, Inc.,ST=Washington,L=Seattle,C=US",
            "sha256": "2f1b7a9d0c3e4b5a6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6", "not_after": "2024-08-22T17:08:50Z"}]
  contains:
    name:
      description: Common name of the certificate, quoted (the subject when it has none).
      type: str
      sample: "'Amazon RDS Root 2019 CA'"
    subject:
      description: Subject of the certificate (RFC 4514).
      type: str
      sample: CN=Amazon RDS Root 2019 CA,OU=Amazon RDS,O=Amazon Web Services\, Inc.,ST=Washington,L=Seattle,C=US
    sha256:
      description: SHA-256 fingerprint of the certificate, lower-case hex.
      type: str
      sample: 2f1b7a9d0c3e4b5a6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6
    not_after:
      description: End of validity, UTC.
      type: str
      sample: "2024-08-22T17:08:50Z"
not_ca:
  description: Certificates without C(basicConstraints CA:TRUE) (server certificates do not belong in a CA bundle; warned about).
  returned: success
  type: list
  elements: dict
  sample: []
"""
