"""A stand-in for AnsibleModule.run_command, for unit tests that build Store/Keytool directly.

module_utils run programs only through the module's `run_command` (ansible-core's sanity forbids
subprocess there); tests outside a module pass `run_command` from here. It implements the
arguments the collection uses, the way ansible-core does: `data` on stdin (a newline added unless
`binary_data`), otherwise no stdin; `environ_update` added to the environment; `umask` in the
child; text in, (rc, stdout, stderr) out. Arguments it does not implement are refused, so that a
new use shows up here instead of silently behaving differently from ansible-core.
"""

import os
import subprocess

SUPPORTED = {"data", "binary_data", "environ_update", "umask", "expand_user_and_vars"}


def run_command(args, **kwargs):
    unsupported = set(kwargs) - SUPPORTED
    if unsupported:
        raise TypeError("tests/support/runners.py does not implement %s" % ", ".join(sorted(unsupported)))
    if not isinstance(args, list):
        raise TypeError("run_command is called with a list here, never a shell string: %r" % (args,))
    if kwargs.get("expand_user_and_vars", True):
        args = [os.path.expanduser(os.path.expandvars(arg)) for arg in args]
    data = kwargs.get("data")
    if data and not kwargs.get("binary_data"):
        data += "\n"
    umask = kwargs.get("umask")
    proc = subprocess.run(
        args,
        input=data or None,
        stdin=None if data else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=dict(os.environ, **(kwargs.get("environ_update") or {})),
        preexec_fn=(lambda: os.umask(umask)) if umask else None,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


class RecordingRunner:
    """run_command that records each call (argv and keyword arguments) and then runs it."""

    def __init__(self, runner=run_command):
        self.runner = runner
        self.calls = []

    def __call__(self, args, **kwargs):
        self.calls.append((list(args), dict(kwargs)))
        return self.runner(args, **kwargs)
