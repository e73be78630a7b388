"""EXAoperation and BucketFS over plain http warn that the password crosses the network in clear."""

import pytest

from ansible.module_utils.common import warnings

from ansible_collections.virtualis.aurora.plugins.module_utils import _bucketfs, _exaoperation, _http
from ansible_collections.virtualis.aurora.plugins.module_utils._exaoperation import ExaOperation


def plain_http_warnings():
    return [m for m in warnings.get_warning_messages() if "is plain http" in m]


@pytest.mark.usefixtures("module_warnings")
def test_exaoperation_http_warns():
    ExaOperation("https://10.0.0.10/cluster1", "admin", "secret-pw")
    assert plain_http_warnings() == []
    ExaOperation("http://10.0.0.10/cluster1", "admin", "secret-pw")
    [message] = plain_http_warnings()
    assert message.startswith("EXAoperation url http://10.0.0.10/cluster1 is plain http")
    assert "password" in message and "unencrypted" in message and "https://" in message
    assert "secret-pw" not in message


def test_one_helper_for_both_clients():
    assert _exaoperation.HttpServer is _bucketfs.HttpServer is _http.HttpServer
