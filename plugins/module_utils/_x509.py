# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PEM bundles and X.509 certificates, read with the Python standard library only.

Node-side code (Python 3.6+, no third-party packages): a minimal DER reader that extracts what a
truststore needs to know about a certificate: subject CN, validity, public key type and size,
signature algorithm and SHA-256 fingerprint. It does not verify signatures (the controller does).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import re

PEM_RE = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)(?:-----END ([A-Z0-9 ]+)-----|\Z)", re.DOTALL)

OID_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.10045.2.1": "EC",
    "1.2.840.10040.4.1": "DSA",
    "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448",
}
EC_CURVE_BITS = {
    "1.2.840.10045.3.1.7": 256,
    "1.3.132.0.34": 384,
    "1.3.132.0.35": 521,
    "1.3.132.0.33": 224,
    "1.3.132.0.10": 256,
    "1.2.840.10045.3.1.1": 192,
}
BASIC_CONSTRAINTS = "2.5.29.19"
SIGNATURE_ALGORITHMS = {
    "1.2.840.113549.1.1.4": "MD5withRSA",
    "1.2.840.113549.1.1.2": "MD2withRSA",
    "1.2.840.113549.1.1.5": "SHA1withRSA",
    "1.2.840.113549.1.1.11": "SHA256withRSA",
    "1.2.840.113549.1.1.12": "SHA384withRSA",
    "1.2.840.113549.1.1.13": "SHA512withRSA",
    "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.2.840.10045.4.1": "SHA1withECDSA",
    "1.2.840.10045.4.3.2": "SHA256withECDSA",
    "1.2.840.10045.4.3.3": "SHA384withECDSA",
    "1.2.840.10045.4.3.4": "SHA512withECDSA",
    "1.2.840.10040.4.3": "SHA1withDSA",
    "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448",
}


def utc_now():
    """The current UTC time, naive like the certificates' dates (utcnow() is deprecated from Python 3.12)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class CertificateError(ValueError):
    """A bundle or certificate that cannot be used; the message names file and certificate."""


class _Der(object):
    """One DER TLV: tag byte, content bytes, offset after it."""

    __slots__ = ("tag", "content", "end")

    def __init__(self, tag, content, end):
        self.tag = tag
        self.content = content
        self.end = end


def der_read(data, pos=0):
    """Read one TLV at pos (definite lengths only, as DER requires)."""
    if pos + 2 > len(data):
        raise ValueError("DER data ends early at byte %d" % pos)
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length at byte %d" % pos)
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("DER value at byte %d runs past the end of the data" % pos)
    return _Der(tag, data[pos : pos + length], pos + length)


def der_children(content):
    """The TLVs inside a constructed value."""
    children, pos = [], 0
    while pos < len(content):
        item = der_read(content, pos)
        children.append(item)
        pos = item.end
    return children


def decode_oid(content):
    values, value = [], 0
    for byte in bytearray(content):
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(value)
            value = 0
    if not values:
        raise ValueError("empty OID")
    first = min(values[0] // 40, 2)
    return ".".join(str(v) for v in [first, values[0] - 40 * first] + values[1:])


def _decode_string(item):
    if item.tag == 0x1E:  # BMPString
        return item.content.decode("utf-16-be", "replace")
    if item.tag in (0x14, 0x1C):  # T61String, UniversalString: rare in CA names; best effort
        return item.content.decode("latin-1")
    return item.content.decode("utf-8", "replace")


def _decode_name(item):
    """An X.501 Name as a list of (short name or OID, value), in order."""
    parts = []
    for rdn in der_children(item.content):
        for attribute in der_children(rdn.content):
            oid_item, value = der_children(attribute.content)[:2]
            oid = decode_oid(oid_item.content)
            parts.append((OID_NAMES.get(oid, oid), _decode_string(value)))
    return parts


def _decode_time(item):
    text = item.content.decode("ascii")
    if item.tag == 0x17:  # UTCTime: YYMMDDHHMMSSZ, 1950..2049
        year = int(text[:2])
        text = str(1900 + year if year >= 50 else 2000 + year) + text[2:]
    digits = text.rstrip("Z")[:14]
    if len(digits) < 12 or not digits.isdigit():
        raise ValueError("bad time %r" % text)
    return datetime.datetime(
        int(digits[:4]),
        int(digits[4:6]),
        int(digits[6:8]),
        int(digits[8:10]),
        int(digits[10:12]),
        int(digits[12:14] or 0),
    )


def _public_key(spki):
    """(key type, size in bits) of a SubjectPublicKeyInfo."""
    algorithm, bits = der_children(spki.content)[:2]
    alg_children = der_children(algorithm.content)
    oid = decode_oid(alg_children[0].content)
    key_type = OID_NAMES.get(oid, oid)
    if key_type == "RSA":
        modulus = der_children(der_read(bits.content[1:]).content)[0].content
        return key_type, _int_bits(modulus)
    if key_type == "EC":
        curve = decode_oid(alg_children[1].content) if len(alg_children) > 1 and alg_children[1].tag == 6 else ""
        return key_type, EC_CURVE_BITS.get(curve, 0)
    if key_type == "DSA" and len(alg_children) > 1:
        return key_type, _int_bits(der_children(alg_children[1].content)[0].content)
    return key_type, {"Ed25519": 255, "Ed448": 448}.get(key_type, 0)


def _basic_constraints_ca(optional_fields, versioned):
    """True/False from basicConstraints; False for a v3 certificate without it (RFC 5280 4.2.1.9:
    a CA certificate must carry it); None for a v1 certificate (no extensions at all)."""
    for item in optional_fields:
        if item.tag != 0xA3:  # [3] extensions (after the optional unique identifiers)
            continue
        for extension in der_children(der_read(item.content).content):
            parts = der_children(extension.content)
            if decode_oid(parts[0].content) != BASIC_CONSTRAINTS:
                continue
            constraints = der_children(der_read(parts[-1].content).content)
            return bool(constraints and constraints[0].tag == 0x01 and constraints[0].content != b"\x00")
        return False
    return False if versioned else None


def _int_bits(content):
    return int.from_bytes(content, "big").bit_length() if content else 0


class Certificate(object):
    """What a truststore needs to know about one X.509 certificate."""

    def __init__(self, der):
        self.der = bytes(der)
        self.sha256 = hashlib.sha256(self.der).hexdigest()
        cert = der_read(self.der)
        if cert.tag != 0x30 or cert.end != len(self.der):
            raise ValueError("not a DER certificate (SEQUENCE expected)")
        tbs, sig_alg = der_children(cert.content)[:2]
        fields = der_children(tbs.content)
        version_field = fields[0].tag == 0xA0  # explicit version: v2 or v3
        if version_field:
            fields = fields[1:]
        self.serial = int.from_bytes(fields[0].content, "big")
        self._names = (fields[2], fields[4])  # decoded on first use: most certificates never need it
        not_before, not_after = der_children(fields[3].content)[:2]
        self.not_before = _decode_time(not_before)
        self.not_after = _decode_time(not_after)
        self._decode_name(1)  # a malformed subject is reported while the bundle is read
        self.key_type, self.key_size = _public_key(fields[5])
        self.is_ca = _basic_constraints_ca(fields[6:], version_field)
        sig_oid = decode_oid(der_children(sig_alg.content)[0].content)
        self.signature_algorithm = SIGNATURE_ALGORITHMS.get(sig_oid, sig_oid)

    def _decode_name(self, index):
        name = self._names[index]
        if not isinstance(name, list):
            name = _decode_name(name)
            self._names = self._names[:index] + (name,) + self._names[index + 1 :]
        return name

    @property
    def issuer(self):
        return self._decode_name(0)

    @property
    def subject(self):
        return self._decode_name(1)

    def name_part(self, short):
        for key, value in self.subject:
            if key == short:
                return value
        return None

    @property
    def common_name(self):
        return self.name_part("CN") or self.name_part("OU") or self.name_part("O") or ""

    @property
    def subject_text(self):
        return ", ".join("%s=%s" % part for part in self.subject)

    @property
    def key_text(self):
        return "%s %d" % (self.key_type, self.key_size)

    def expired(self, now=None):
        return self.not_after < (now or utc_now())

    def label(self):
        """How messages name this certificate."""
        return "'%s' (SHA-256 %s)" % (self.common_name, colon_hex(self.sha256))

    def pem(self):
        body = base64.b64encode(self.der).decode("ascii")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines)


def leaf_certificates(certificates):
    """The certificates that are not CA certificates (basicConstraints CA:FALSE, or a v3 certificate
    without basicConstraints): a truststore needs trust anchors, a leaf there is almost always a mistake."""
    return [cert for cert in certificates if cert.is_ca is False]


def colon_hex(hex_digest):
    upper = hex_digest.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


def parse_pem_bundle(data, source):
    """Every certificate of a PEM bundle, in order; CertificateError for anything unusable.

    `data` is bytes or text; `source` names the file (or "content") in messages. Text between
    blocks is ignored, as openssl does; blocks of another type are an error.
    """
    if isinstance(data, bytes):
        if not data.strip():
            raise CertificateError("%s is empty: expected PEM certificates (-----BEGIN CERTIFICATE-----)" % source)
        if data[:1] == b"\x30":
            raise CertificateError(
                "%s looks like a binary DER certificate, not PEM text; convert it with "
                "`openssl x509 -inform der -in FILE -out FILE.pem`" % source
            )
        try:
            data = data.decode("ascii")
        except UnicodeDecodeError:
            data = data.decode("latin-1")
    if not data.strip():
        raise CertificateError("%s is empty: expected PEM certificates (-----BEGIN CERTIFICATE-----)" % source)
    certificates, line, counted = [], 1, 0
    for index, match in enumerate(PEM_RE.finditer(data), 1):
        line += data.count("\n", counted, match.start())  # counted once: linear in the bundle size
        counted = match.start()
        certificates.append(_parse_block(match, index, source, line))
    if not certificates:
        raise CertificateError("%s holds no PEM certificate (no -----BEGIN CERTIFICATE----- line)" % source)
    return certificates


def _parse_block(match, index, source, line):
    where = "%s: certificate #%d (line %d)" % (source, index, line)
    begin, body, end = match.group(1), match.group(2), match.group(3)
    if end is None:
        raise CertificateError("%s is truncated: no -----END %s----- line" % (where, begin))
    if begin != "CERTIFICATE":
        raise CertificateError("%s is a '%s' block, only CERTIFICATE blocks belong in a CA bundle" % (where, begin))
    if end != begin:
        raise CertificateError(
            "%s: -----BEGIN CERTIFICATE----- is closed by -----END %s-----; the bundle is "
            "corrupted (two blocks run into each other?)" % (where, end)
        )
    try:
        der = base64.b64decode("".join(body.split()).encode("ascii"), validate=True) if body.strip() else b""
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("%s: invalid base64 (%s)" % (where, exc))
    try:
        return Certificate(der)
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise CertificateError(
            "%s does not parse as an X.509 certificate (%s); truncated or corrupted?" % (where, exc or "no data")
        )
