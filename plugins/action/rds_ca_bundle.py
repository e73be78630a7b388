# -*- coding: utf-8 -*-

# Copyright (c) virtualis.aurora contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of virtualis.aurora.rds_ca_bundle (documentation: plugins/modules/rds_ca_bundle.py).

One place that gets the RDS CA bundle for every role: download (or a local file), optional
sha256, every certificate's signature checked against its issuer in the bundle, expired
certificates reported, and the verified bundle kept under a name that carries its sha256.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import datetime
import hashlib
import os
import re
import stat
import tempfile
import traceback

from ansible.errors import AnsibleActionFail
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError:
    CRYPTOGRAPHY_ERROR = traceback.format_exc()
else:
    CRYPTOGRAPHY_ERROR = None

DEFAULT_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
DEFAULT_CACHE_DIR = "~/.cache/virtualis-aurora/rds_ca_bundle"
MAX_BYTES = 64 * 1024 * 1024  # the global bundle is 165 KB; anything near this is not a CA bundle
# A block ends at its END line, or (a broken one) where the next block begins
PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----((?:(?!-----BEGIN ).)*?)(?:-----END ([A-Z0-9 ]+)-----|(?=-----BEGIN )|\Z)", re.DOTALL
)
CHECKSUM = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")

ARGUMENT_SPEC = dict(
    url=dict(type="str"),
    src=dict(type="path"),
    checksum=dict(type="str", default=""),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="int", default=30),
    cache_dir=dict(type="path", default=DEFAULT_CACHE_DIR),
    expiry_warning_days=dict(type="int", default=90),
)


class BundleError(Exception):
    """The bundle cannot be used; the message names the certificate and the reason."""


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


def expected_sha256(checksum):
    """The hex digest of `sha256:<hex>` (or a bare hex digest); '' for no checksum."""
    if not checksum:
        return ""
    match = CHECKSUM.match(checksum.strip())
    if not match:
        raise BundleError("checksum must be sha256:<64 hex digits>, got %r" % checksum)
    return match.group(1).lower()


def parse(data, origin):
    """Every PEM block of `data` as a certificate; any other block, or one that does not parse, is refused."""
    certs = []
    for index, match in enumerate(PEM_BLOCK.finditer(data), 1):
        label, end = match.group(1), match.group(3)
        if label != b"CERTIFICATE":
            raise BundleError(
                "%s: PEM block #%d is a %s, not a CERTIFICATE: a CA bundle holds certificates only"
                % (origin, index, to_native(label))
            )
        if end != b"CERTIFICATE":
            raise BundleError("%s: certificate #%d has no matching END CERTIFICATE line" % (origin, index))
        try:
            certs.append(x509.load_pem_x509_certificate(match.group(0)))
        except ValueError as exc:
            raise BundleError("%s: certificate #%d does not parse: %s" % (origin, index, exc))
    if not certs:
        raise BundleError("%s holds no PEM certificate" % origin)
    return certs


def verify_signatures(certs, origin):
    """Each certificate must be signed by a certificate of the bundle with its issuer's name
    (a self-signed root by itself); a corrupted copy still parses, its signature does not verify."""
    by_subject = collections.defaultdict(list)
    for cert in certs:
        by_subject[cert.subject.public_bytes()].append(cert)
    for index, cert in enumerate(certs, 1):
        issuers = by_subject.get(cert.issuer.public_bytes(), [])
        if not issuers:
            raise BundleError(
                "%s: certificate #%d %s: its issuer %s is not in the bundle"
                % (origin, index, describe(cert), cert.issuer.rfc4514_string())
            )
        errors = []
        for issuer in issuers:
            try:
                cert.verify_directly_issued_by(issuer)
                break
            except (InvalidSignature, ValueError, TypeError) as exc:  # InvalidSignature has no message
                errors.append(type(exc).__name__)
        else:
            raise BundleError(
                "%s: certificate #%d %s: its signature does not verify against its issuer %s (%s): "
                "the bundle is corrupted or forged"
                % (origin, index, describe(cert), cert.issuer.rfc4514_string(), ", ".join(errors))
            )


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def certificate_facts(cert):
    return {
        "name": describe(cert),
        "subject": cert.subject.rfc4514_string(),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "not_after": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def verify(data, origin, checksum="", now=None, expiry_warning_days=90):
    """The summary of a verified bundle; BundleError when it must not be used."""
    digest = hashlib.sha256(data).hexdigest()
    wanted = expected_sha256(checksum)
    if wanted and wanted != digest:
        raise BundleError("%s: checksum mismatch: sha256 is %s, expected %s" % (origin, digest, wanted))
    certs = parse(data, origin)
    verify_signatures(certs, origin)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    horizon = now + datetime.timedelta(days=expiry_warning_days)
    return {
        "sha256": digest,
        "certificates": len(certs),
        "key_types": dict(collections.Counter(key_text(c) for c in certs)),
        "expired": [certificate_facts(c) for c in certs if c.not_valid_after_utc < now],
        "expiring": [certificate_facts(c) for c in certs if now <= c.not_valid_after_utc < horizon],
        "not_ca": [certificate_facts(c) for c in certs if not is_ca(c)],
    }


def safe_cache_dir(path):
    """Create the cache directory 0700, or tighten it; refuse one that is not the running user's."""
    if not os.path.isdir(path):
        os.makedirs(path, 0o700)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        raise BundleError("cache_dir %s is a symlink or not owned by the running user: refusing to use it" % path)
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)


def cached(path, digest):
    """True when `path` is a regular file whose content has this sha256."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest() == digest
    except OSError:
        return False


def write_atomically(path, data):
    handle, temp = tempfile.mkstemp(prefix=".rds-ca-bundle.", dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def download(url, validate_certs, ca_path, timeout):
    if not re.match(r"^https?://", url):
        raise BundleError("url must be an http:// or https:// URL, got %r" % url)
    try:
        response = open_url(
            url,
            validate_certs=validate_certs,
            ca_path=ca_path,
            timeout=timeout,
            http_agent="virtualis.aurora.rds_ca_bundle",
            follow_redirects="safe",
        )
        data = response.read(MAX_BYTES + 1)
    except Exception as exc:  # open_url raises HTTPError, URLError, SSLError, socket errors, ...
        raise BundleError("Could not download the RDS CA bundle from %s: %s" % (url, to_native(exc)))
    if len(data) > MAX_BYTES:
        raise BundleError("%s is larger than %d bytes: not a CA bundle" % (url, MAX_BYTES))
    return data


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, mutually_exclusive=[("url", "src")])
        if CRYPTOGRAPHY_ERROR:
            raise AnsibleActionFail(missing_required_lib("cryptography"), result={"exception": CRYPTOGRAPHY_ERROR})
        try:
            result.update(self._fetch_and_verify(args))
        except BundleError as exc:
            raise AnsibleActionFail(to_native(exc))
        except OSError as exc:
            raise AnsibleActionFail("rds_ca_bundle: %s" % to_native(exc))
        return result

    def _read(self, args):
        if args["src"]:
            source = args["src"]
            if not os.path.isabs(source):
                source = self._find_needle("files", source)
            with open(source, "rb") as handle:
                return handle.read(MAX_BYTES + 1), source
        url = args["url"] or DEFAULT_URL
        if url.startswith("http://") and not args["checksum"]:
            self._display.warning(
                "rds_ca_bundle: %s is plain http and no checksum is set: anyone on the path "
                "can hand out a bundle of their own that verifies; set checksum or use https" % url
            )
        return download(url, args["validate_certs"], args["ca_path"], args["timeout"]), url

    def _fetch_and_verify(self, args):
        data, origin = self._read(args)
        if args["expiry_warning_days"] < 0:
            raise BundleError(
                "rds_ca_bundle: expiry_warning_days must be 0 or more, got %d" % args["expiry_warning_days"]
            )
        summary = verify(data, origin, args["checksum"], expiry_warning_days=args["expiry_warning_days"])
        cache_dir = os.path.expanduser(args["cache_dir"])
        path = os.path.join(cache_dir, "rds-ca-bundle-%s.pem" % summary["sha256"])
        changed = not (os.path.isdir(cache_dir) and cached(path, summary["sha256"]))
        if changed and not self._task.check_mode:
            safe_cache_dir(cache_dir)
            write_atomically(path, data)
        warnings = (
            [
                "rds_ca_bundle: %d of %d certificates in %s have expired (listed in `expired`): %s"
                % (
                    len(summary["expired"]),
                    summary["certificates"],
                    origin,
                    ", ".join("%(name)s (%(not_after)s)" % c for c in summary["expired"]),
                )
            ]
            if summary["expired"]
            else []
        )
        warnings += (
            [
                "rds_ca_bundle: %d of %d certificates in %s expire within %d days (listed in `expiring`): %s"
                % (
                    len(summary["expiring"]),
                    summary["certificates"],
                    origin,
                    args["expiry_warning_days"],
                    ", ".join("%(name)s (%(not_after)s)" % c for c in summary["expiring"]),
                )
            ]
            if summary["expiring"]
            else []
        )
        warnings += [
            "rds_ca_bundle: %s in %s is not a CA certificate (no basicConstraints CA:TRUE)" % (c["name"], origin)
            for c in summary["not_ca"]
        ]
        return dict(
            summary,
            changed=changed,
            path=path,
            cached=os.path.isfile(path),
            source=origin,
            content=to_text(data, errors="surrogate_or_strict"),
            warnings=warnings,
        )
