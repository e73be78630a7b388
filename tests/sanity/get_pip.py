"""Stand-in for the get-pip script that ansible-test downloads to bootstrap pip into its venvs.

ansible-test creates its sanity venvs without pip and then runs a get-pip script that it fetches
from ci-files.testing.ansible.com. That host is not reachable from this lab (only package
registries are), so `make sanity` caches this script where ansible-test looks for the download
(~/.ansible/test/cache/get_pip_<version>.py) when no real copy is there yet.

It does what get-pip does, with the standard library's ensurepip instead of an embedded wheel:
install a pip, then let that pip install the exact packages ansible-test asked for (for example
``pip==24.2``) from the package index. ``--no-setuptools`` and ``--no-wheel`` are options of
get-pip only: they are not passed to pip, and the setuptools that ensurepip brings along is
removed again when ``--no-setuptools`` is given, so the venv holds what get-pip would leave.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main() -> None:
    """Bootstrap pip, then install the requested packages with it."""
    # In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in its own process, and
    # the pip below must still read the machine's pip configuration (index, proxy CA).
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    pip = [sys.executable, "-m", "pip"]
    subprocess.check_call(pip + ["install", "--upgrade", "--force-reinstall"] + args)
    if "--no-setuptools" in sys.argv[1:]:
        subprocess.check_call(pip + ["uninstall", "--yes", "--quiet", "setuptools"])


if __name__ == "__main__":
    main()
