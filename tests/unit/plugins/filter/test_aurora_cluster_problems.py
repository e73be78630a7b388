"""aurora_cluster_problems: every problem of the aurora_cluster role's input, one sentence each."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.virtualis.aurora.plugins.filter.preflight import FilterModule, aurora_cluster_problems

GOOD = {
    "identifiers": ["aurora-virtualis", "aurora-virtualis-writer", "aurora-virtualis"],
    "master_password": "Correct-Horse-1",
    "manage_master_user_password": False,
    "master_username": "master",
    "database_name": "aurora_tutorial_database",
    "serverless": False,
    "serverless_min_acu": 0.5,
    "serverless_max_acu": 2,
    "backup_retention_period": 7,
    "monitoring_interval": 0,
    "ca_certificate_identifier": "rds-ca-rsa2048-g1",
    "smoke_test": True,
    "ca_cert": "",
    "ca_bundle_url": "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
    "ca_bundle_checksum": "",
}


def problems(**changes):
    return aurora_cluster_problems(dict(GOOD, **changes))


def test_good_input_has_no_problem():
    assert problems() == []


def test_templated_strings_of_older_ansible_are_read_as_their_values():
    as_text = {key: value if isinstance(value, list) else str(value) for key, value in GOOD.items()}
    assert aurora_cluster_problems(as_text) == []
    assert aurora_cluster_problems(dict(as_text, serverless="True", serverless_max_acu="0.7")) != []


@pytest.mark.parametrize(
    "identifier,expected",
    [
        ("Aurora", 'identifier "Aurora" must be lowercase letters'),
        ("a--b", 'identifier "a--b" must be lowercase'),
        ("a-", 'identifier "a-" must be lowercase'),
        ("1a", 'identifier "1a" must be lowercase'),
        ("a" * 64, "is longer than 63 characters"),
    ],
)
def test_bad_identifiers_are_named(identifier, expected):
    found = problems(identifiers=["fine", identifier])
    assert len(found) == 1 and expected in found[0]


@pytest.mark.parametrize(
    "password,expected",
    [
        ("", "aurora_cluster_master_password is missing"),
        ("short", "must be 8-128 printable ASCII"),
        ("x" * 129, "must be 8-128 printable ASCII"),
        ("with space in", "must be 8-128 printable ASCII"),
        ("with/slash", "must be 8-128"),
        ('with"quote', "must be 8-128"),
        ("with@at-sign", "must be 8-128"),
        ("umlaut-\u00e4\u00e4\u00e4", "must be 8-128"),
    ],
)
def test_bad_passwords_are_explained_without_the_password(password, expected):
    found = problems(master_password=password)
    assert len(found) == 1 and expected in found[0]
    assert not password or password not in found[0]


def test_a_managed_password_is_not_checked():
    assert problems(master_password="", manage_master_user_password=True) == []


@pytest.mark.parametrize(
    "key,value",
    [("master_username", "1master"), ("master_username", "a-b"), ("database_name", "x" * 64), ("database_name", "")],
)
def test_bad_names(key, value):
    assert problems(**{key: value}) == [
        "aurora_cluster_%s must start with a letter and hold 1-63 letters, digits or underscores" % key
    ]


@pytest.mark.parametrize(
    "minimum,maximum,fine",
    [
        (0.5, 2, True),
        (0, 1, True),
        (2, 256, True),
        (0.5, 0.7, False),
        (0.3, 2, False),
        (3, 2, False),
        (0.5, 0.5, False),
        (1, 257, False),
        (-1, 2, False),
        ("lots", 2, False),
    ],
)
def test_serverless_capacity(minimum, maximum, fine):
    found = problems(serverless=True, serverless_min_acu=minimum, serverless_max_acu=maximum)
    assert found == (
        []
        if fine
        else [
            "aurora_cluster_serverless_min_acu/max_acu must satisfy 0 <= min <= max <= 256, max >= 1, in steps of 0.5"
        ]
    )
    assert problems(serverless=False, serverless_min_acu=minimum, serverless_max_acu=maximum) == []


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("backup_retention_period", 0, "aurora_cluster_backup_retention_period must be 1 to 35 days"),
        ("backup_retention_period", 36, "aurora_cluster_backup_retention_period must be 1 to 35 days"),
        ("monitoring_interval", 2, "aurora_cluster_monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60"),
        (
            "ca_certificate_identifier",
            "rds-ca-2019",
            "aurora_cluster_ca_certificate_identifier must be one of rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1",
        ),
        (
            "ca_bundle_checksum",
            "md5:0",
            "aurora_cluster_ca_bundle_checksum must look like sha256:<64 hex digits>, or be empty",
        ),
        ("ca_bundle_url", "ftp://example.com/b.pem", "aurora_cluster_ca_bundle_url must be an http(s) URL"),
    ],
)
def test_out_of_range_settings(key, value, expected):
    found = problems(**{key: value})
    assert len(found) == 1 and found[0].startswith(expected)


def test_ca_cert_must_be_a_file_while_the_smoke_test_runs(tmp_path):
    bundle = tmp_path / "rds.pem"
    bundle.write_text("pem")
    assert problems(ca_cert=str(bundle), ca_bundle_url="") == []
    missing = problems(ca_cert=str(tmp_path / "none.pem"))
    assert len(missing) == 1 and missing[0].startswith(
        'aurora_cluster_ca_cert "%s" is not a file' % (tmp_path / "none.pem")
    )
    assert problems(ca_cert=str(tmp_path / "none.pem"), smoke_test=False, ca_bundle_url="") == []


def test_every_problem_is_reported_at_once():
    found = problems(
        identifiers=["Bad"],
        master_password="",
        backup_retention_period=99,
        ca_bundle_checksum="md5:0",
        monitoring_interval=3,
    )
    assert len(found) == 5


def test_settings_must_be_a_dict():
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        aurora_cluster_problems(["x"])
    assert "aurora_cluster_problems" in FilterModule().filters()
