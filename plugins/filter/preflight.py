# -*- coding: utf-8 -*-
# Copyright: (c) 2026, virtualis.aurora developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight filters: every problem of a role's input at once, one sentence each."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.virtualis.aurora.plugins.filter.cidr_check import cidr_check

# RDS identifiers: a letter, then letters, digits and single hyphens, at most 63 characters.
RDS_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# PostgreSQL names as RDS accepts them for the master user and the initial database.
PG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
CA_IDENTIFIERS = ("rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1")
SHA256_CHECKSUM = re.compile(r"^sha256:[0-9a-fA-F]{64}$")
HTTP_URL = re.compile(r"^https?://[^/\s]+")
# Deployment names: they become tag values and the prefix of every Name tag.
DEPLOYMENT = re.compile(r"^[a-z](-?[a-z0-9])*$")
# BucketFS: the service address without a path or credentials; bucket paths that could escape.
BUCKETFS_URL = re.compile(r"^https?://[^/@]+$")
BAD_BUCKET_PATH = re.compile(r"^/?buckets/|(^|/)[.][.]?(/|$)|//|^/*$|[%]")
DRIVER_DIR = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
FINGERPRINT = re.compile(r"^[0-9A-Fa-f]{64}$")


def _text(settings, key):
    value = settings.get(key)
    return "" if value is None else to_text(value)


def _number(settings, key, kind):
    try:
        return kind(float(settings.get(key)))
    except (TypeError, ValueError):
        return None


def _require_dict(name, settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("%s expects a dict of settings, got %s" % (name, type(settings).__name__))


def _texts(settings, key):
    return [to_text(item) for item in settings.get(key) or []]


def identifier_problems(identifiers):
    problems = []
    for identifier in identifiers:
        if not RDS_IDENTIFIER.match(identifier):
            problems.append(
                'identifier "%s" must be lowercase letters, digits and single hyphens, starting with a letter'
                % identifier
            )
        if len(identifier) > 63:
            problems.append('identifier "%s" is longer than 63 characters' % identifier)
    return problems


def password_problems(password, managed):
    """The master password's problem, unless RDS manages the password."""
    if managed:
        return []
    if not password:
        return [
            "aurora_cluster_master_password is missing: set it (from Vault), or set "
            "aurora_cluster_manage_master_user_password: true"
        ]
    printable = all(" " <= char <= "~" for char in password)
    if not 8 <= len(password) <= 128 or not printable or re.search(r'[/"@\s]', password):
        return ['aurora_cluster_master_password must be 8-128 printable ASCII characters except / " @ and space']
    return []


def capacity_problems(minimum, maximum):
    """Serverless v2 capacity: 0 <= min <= max <= 256, max >= 1, both in steps of 0.5 ACU."""
    fine = (
        minimum is not None
        and maximum is not None
        and 0 <= minimum <= maximum <= 256
        and maximum >= 1
        and (minimum * 2).is_integer()
        and (maximum * 2).is_integer()
    )
    return (
        []
        if fine
        else [
            "aurora_cluster_serverless_min_acu/max_acu must satisfy 0 <= min <= max <= 256, max >= 1, in steps of 0.5"
        ]
    )


def ca_bundle_problems(settings):
    """Where the smoke test gets the RDS CA bundle from, and the checksum's form."""
    problems = []
    ca_cert = _text(settings, "ca_cert")
    smoke_test = boolean(settings.get("smoke_test", True), strict=False)
    if smoke_test and ca_cert and not os.path.isfile(ca_cert):
        problems.append(
            'aurora_cluster_ca_cert "%s" is not a file on the controller: name the RDS CA bundle (PEM), '
            "leave it empty to download aurora_cluster_ca_bundle_url, or set aurora_cluster_smoke_test: false" % ca_cert
        )
    if smoke_test and not ca_cert and not HTTP_URL.match(_text(settings, "ca_bundle_url")):
        problems.append(
            "aurora_cluster_ca_bundle_url must be an http(s) URL of the RDS CA bundle when "
            "aurora_cluster_ca_cert is empty"
        )
    checksum = _text(settings, "ca_bundle_checksum")
    if checksum and not SHA256_CHECKSUM.match(checksum):
        problems.append("aurora_cluster_ca_bundle_checksum must look like sha256:<64 hex digits>, or be empty")
    return problems


def aurora_cluster_problems(settings):
    """Every problem of the aurora_cluster role's input (empty when there is none)."""
    _require_dict("aurora_cluster_problems", settings)
    problems = identifier_problems(_texts(settings, "identifiers"))
    problems += password_problems(
        _text(settings, "master_password"), boolean(settings.get("manage_master_user_password", False), strict=False)
    )
    for key in ("master_username", "database_name"):
        if not PG_NAME.match(_text(settings, key)):
            problems.append(
                "aurora_cluster_%s must start with a letter and hold 1-63 letters, digits or underscores" % key
            )
    if boolean(settings.get("serverless", False), strict=False):
        problems += capacity_problems(
            _number(settings, "serverless_min_acu", float), _number(settings, "serverless_max_acu", float)
        )
    retention = _number(settings, "backup_retention_period", int)
    if retention is None or not 1 <= retention <= 35:
        problems.append("aurora_cluster_backup_retention_period must be 1 to 35 days")
    if _number(settings, "monitoring_interval", int) not in MONITORING_INTERVALS:
        problems.append(
            "aurora_cluster_monitoring_interval must be one of %s" % ", ".join(map(str, MONITORING_INTERVALS))
        )
    if _text(settings, "ca_certificate_identifier") not in CA_IDENTIFIERS:
        problems.append("aurora_cluster_ca_certificate_identifier must be one of %s" % ", ".join(CA_IDENTIFIERS))
    return problems + ca_bundle_problems(settings)


def aws_network_problems(settings):
    """Every problem of the aws_network role's input (empty when there is none)."""
    _require_dict("aws_network_problems", settings)
    problems = []
    deployment = _text(settings, "deployment")
    if len(deployment) > 41 or not DEPLOYMENT.match(deployment):
        problems.append(
            "aws_network_deployment %s must be 1-41 lowercase letters, digits and single hyphens, "
            "starting with a letter" % json.dumps(deployment)
        )
    allow_any = boolean(settings.get("allow_any_source", False), strict=False)
    problems += ["aws_network_allowed_cidrs: " + p for p in cidr_check(_texts(settings, "allowed_cidrs"), allow_any)]
    subnets = _texts(settings, "subnet_cidrs")
    problems += [
        "aws_network_vpc_cidr/aws_network_subnet_cidrs: " + p
        for p in cidr_check([_text(settings, "vpc_cidr")] + subnets)
    ]
    if len(set(subnets)) < 2:
        problems.append("aws_network_subnet_cidrs needs at least two distinct CIDRs (RDS needs two zones)")
    if len(_texts(settings, "availability_zones")) not in (0, len(subnets)):
        problems.append("aws_network_availability_zones must be empty or name one zone per subnet")
    return problems


def exasol_teardown_problems(settings):
    """Every problem of the exasol_teardown role's input (empty when there is none)."""
    _require_dict("exasol_teardown_problems", settings)
    problems = []
    fingerprint = _text(settings, "certificate_fingerprint")
    if fingerprint and not FINGERPRINT.match(fingerprint.replace(":", "")):
        problems.append("exasol_teardown_certificate_fingerprint must be 64 hex digits (colons allowed) or empty")
    files = _texts(settings, "bucketfs_files")
    bucketfs_needed = files or boolean(settings.get("driver_registration", False), strict=False)
    if bucketfs_needed and (
        not BUCKETFS_URL.match(_text(settings, "bucketfs_url")) or not _text(settings, "bucketfs_password")
    ):
        problems.append(
            "exasol_teardown_bucketfs_url must be http(s)://HOST:PORT without a path or credentials, and "
            "exasol_teardown_bucketfs_password must be set, to delete files or the BucketFS driver registration"
        )
    bad_paths = [path for path in files if BAD_BUCKET_PATH.search(path)]
    if bad_paths:
        problems.append(
            "exasol_teardown_bucketfs_files are paths inside the bucket (jars/x.jar, not "
            "/buckets/<service>/<bucket>/..., no empty, . or .. components, no percent escapes): "
            + ", ".join(bad_paths)
        )
    if not DRIVER_DIR.match(_text(settings, "driver_dir")):
        problems.append("exasol_teardown_driver_dir must be a plain directory name under drivers/jdbc/")
    return problems


class FilterModule:
    """Preflight filters of virtualis.aurora's roles."""

    def filters(self):
        return {
            "aurora_cluster_problems": aurora_cluster_problems,
            "aws_network_problems": aws_network_problems,
            "exasol_teardown_problems": exasol_teardown_problems,
        }
