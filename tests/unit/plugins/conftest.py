"""Fixtures for the plugin unit tests that hold on every ansible-core the collection supports."""
import pytest

from ansible.module_utils.common import warnings

try:  # ansible-core 2.19+: warn() records a warning only when it does not run on the controller
    from ansible.module_utils import _internal as core_internal
except ImportError:  # ansible-core 2.17, 2.18
    core_internal = None


@pytest.fixture
def module_warnings(monkeypatch):
    """The warnings module code records from here on, as in a module run (get_warning_messages()).

    Once a test imported controller code (an action plugin test does), ansible-core 2.19+ shows
    warn() on the display instead of recording it; the store is a list before 2.19, a dict since.
    """
    if core_internal is not None:
        monkeypatch.setattr(core_internal, "is_controller", False)
    monkeypatch.setattr(warnings, "_global_warnings", type(warnings._global_warnings)())
    return warnings.get_warning_messages
