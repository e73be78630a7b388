"""EXAoperation and BucketFS over plain http warn that the password crosses the network in clear."""
import pytest

from ansible.module_utils.common import warnings

from ansible_collections.virtualis.aurora.plugins.module_utils import _exaoperation, _tls
from ansible_collections.virtualis.aurora.plugins.module_utils._exaoperation import ExaOperation


try:  # ansible-core 2.19+: warn() records a warning only when it does not run on the controller
    from ansible.module_utils import _internal as core_internal
except ImportError:  # ansible-core 2.17, 2.18
    core_internal = None


@pytest.fixture
def module_warnings(monkeypatch):
    """warn() records from here on, as in a module run: once a test imported controller code (an
    action plugin test does), ansible-core 2.19+ shows warn() on the display instead. The store is
    a list before 2.19, a dict since."""
    if core_internal is not None:
        monkeypatch.setattr(core_internal, "is_controller", False)
    monkeypatch.setattr(warnings, "_global_warnings", type(warnings._global_warnings)())


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
    assert _exaoperation.warn_plain_http is _tls.warn_plain_http
