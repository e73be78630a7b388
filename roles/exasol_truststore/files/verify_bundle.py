# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller-side check of a CA bundle before any node is touched.

Every PEM block must parse, and every certificate's signature must verify against its issuer in
the same bundle (a corrupted copy still parses, its signature does not). Uses `cryptography`,
which ansible-core itself depends on. Prints a JSON summary; exit 1 with a message naming the
certificate on failure.

usage: verify_bundle.py BUNDLE [--sha256 HEX]
"""

from __future__ import absolute_import, division, print_function

import argparse
import collections
import datetime
import hashlib
import json
import re
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa

BLOCK_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.*?(?:-----END CERTIFICATE-----|\Z)", re.DOTALL)


def describe(cert):
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return "'%s'" % (names[0].value if names else cert.subject.rfc4514_string())


def key_text(cert):
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA %d" % key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC %d" % key.curve.key_size
    return type(key).__name__


def load(path):
    with open(path, "rb") as handle:
        data = handle.read()
    blocks = BLOCK_RE.findall(data)
    if not blocks:
        raise ValueError("%s holds no PEM certificate" % path)
    certs = []
    for index, block in enumerate(blocks, 1):
        try:
            certs.append(x509.load_pem_x509_certificate(block))
        except ValueError as exc:
            raise ValueError("%s: certificate #%d does not parse: %s" % (path, index, exc))
    return data, certs


def verify(path, certs):
    by_subject = collections.defaultdict(list)
    for cert in certs:
        by_subject[cert.subject.public_bytes()].append(cert)
    for index, cert in enumerate(certs, 1):
        issuers = by_subject.get(cert.issuer.public_bytes(), [])
        if not issuers:
            raise ValueError("%s: certificate #%d %s: its issuer %s is not in the bundle" % (
                path, index, describe(cert), cert.issuer.rfc4514_string()))
        errors = []
        for issuer in issuers:
            try:
                cert.verify_directly_issued_by(issuer)
                break
            except (InvalidSignature, ValueError, TypeError) as exc:  # InvalidSignature has no message
                errors.append(type(exc).__name__)
        else:
            raise ValueError("%s: certificate #%d %s: signature does not verify against its issuer (%s): "
                             "the bundle is corrupted" % (path, index, describe(cert), ", ".join(errors)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--sha256", default="")
    args = parser.parse_args()
    try:
        data, certs = load(args.bundle)
        digest = hashlib.sha256(data).hexdigest()
        expected = args.sha256.lower().split(":")[-1]
        if expected and expected != digest:
            raise ValueError("%s: sha256 %s does not match the expected %s" % (args.bundle, digest, expected))
        verify(args.bundle, certs)
    except (OSError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    now = datetime.datetime.now(datetime.timezone.utc)
    print(json.dumps({
        "certificates": len(certs),
        "sha256": digest,
        "keys": dict(collections.Counter(key_text(c) for c in certs)),
        "expired": [describe(c) for c in certs if c.not_valid_after_utc < now],
    }, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
