"""The skeleton of the Exasol object modules: input checked before connecting, plan once, check mode
applies nothing, queries show the display form, diff only in diff mode, session closed."""

import contextlib
import json
from unittest import mock

import pytest

from ansible.module_utils import basic

from ansible_collections.virtualis.aurora.plugins.module_utils import _exasol
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import ExasolInputError
from ansible_collections.virtualis.aurora.plugins.module_utils._exasol_object import ExasolObjectModule

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
except ImportError:  # ansible-core 2.17, 2.18

    @contextlib.contextmanager
    def patch_module_args(args=None):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()):
            yield


class Thing(ExasolObjectModule):
    """A made-up object: `value` wanted, stored in a one-row table; `token` is a secret."""

    argument_spec = dict(value=dict(type="str", required=True), token=dict(type="str", no_log=True))

    def secrets(self):
        return [self.params["token"]]

    def normalise(self):
        if self.params["value"] == "bad":
            raise ExasolInputError("value must not be bad")
        self.value = self.params["value"].upper()

    def read(self):
        rows = self.session.query("SELECT VALUE FROM THING", "THING")
        return rows[0]["VALUE"] if rows else None

    def plan(self, current):
        if current == self.value:
            return []
        return [("SET %s %s" % (self.value, self.params["token"]), "SET %s ********" % self.value)]

    def result(self, current, statements):
        return dict(value=self.value)

    def diff(self, current, statements):
        return dict(before={"value": current}, after={"value": self.value})


class Connection:
    def __init__(self, rows):
        self.rows, self.executed, self.committed, self.closed = rows, [], False, False

    def execute(self, sql):
        if sql.startswith("SELECT"):
            rows = self.rows
            return type("Stmt", (), {"fetchall": lambda self: rows})()
        self.executed.append(sql)

    def commit(self):
        self.committed = True

    def rollback(self):
        pass

    def close(self):
        self.closed = True


def run(args, rows, monkeypatch, capsys):
    connection = Connection(rows)
    monkeypatch.setattr(_exasol, "connect", lambda module: connection)
    with (
        patch_module_args(dict(dict(login_host="exa", login_user="sys", login_password="pw"), **args)),
        pytest.raises(SystemExit),
    ):
        Thing().run()
    return json.loads(capsys.readouterr().out), connection


def test_check_mode_plans_the_same_change_and_applies_nothing(monkeypatch, capsys):
    check, connection = run(dict(value="a", token="t0k", _ansible_check_mode=True), [], monkeypatch, capsys)
    assert check["changed"] and check["queries"] == ["SET A ********"] and check["value"] == "A"
    assert connection.executed == [] and not connection.committed and connection.closed
    real, connection = run(dict(value="a", token="t0k"), [], monkeypatch, capsys)
    assert real["changed"] and real["queries"] == check["queries"]
    assert connection.executed == ["SET A t0k"] and connection.committed and connection.closed
    assert "diff" not in real and "t0k" not in json.dumps(real)


def test_nothing_to_do_is_not_a_change_and_diff_mode_adds_the_diff(monkeypatch, capsys):
    result, connection = run(dict(value="a", _ansible_diff=True), [{"VALUE": "A"}], monkeypatch, capsys)
    assert result["changed"] is False and result["queries"] == [] and connection.executed == []
    assert result["diff"] == {"before": {"value": "A"}, "after": {"value": "A"}}


def test_bad_input_fails_before_connecting(monkeypatch, capsys):
    monkeypatch.setattr(_exasol, "connect", lambda module: pytest.fail("connected despite bad input"))
    with (
        patch_module_args(dict(login_host="exa", login_user="sys", login_password="pw", value="bad")),
        pytest.raises(SystemExit),
    ):
        Thing().run()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and result["msg"] == "value must not be bad"
