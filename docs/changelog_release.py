"""Cut the changelog release of galaxy.yml's version: CHANGELOG.rst and changelogs/changelog.yaml.

    .venv/bin/python docs/changelog_release.py [--date YYYY-MM-DD]     (what `make changelog-release` runs)

antsibull-changelog needs the collection under an ansible_collections/<namespace>/<name> tree to
ask ansible-doc which modules and roles are new, and copies the checkout there when it is not
one. A copy of the whole checkout fails while the lab runs (its PostgreSQL socket cannot be
copied) and would drag .venv along, so this script copies only what the changelog is made from,
runs the release there, and brings back CHANGELOG.rst and changelogs/ (the consumed fragments are
gone from both, as antsibull-changelog does in place).
"""

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
COPIED = ("galaxy.yml", "changelogs", "plugins", "roles", "meta")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args()
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    with tempfile.TemporaryDirectory(prefix="changelog-release-") as base:
        copy = os.path.join(base, "ansible_collections", galaxy["namespace"], galaxy["name"])
        os.makedirs(copy)
        for name in COPIED:
            source = os.path.join(ROOT, name)
            if os.path.isdir(source):
                shutil.copytree(
                    source, os.path.join(copy, name), ignore=shutil.ignore_patterns("__pycache__", ".plugin-cache.yaml")
                )
            else:
                shutil.copy(source, os.path.join(copy, name))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=base)
        env.pop("ANSIBLE_CONFIG", None)
        done = subprocess.run(
            [
                os.path.join(BIN, "antsibull-changelog"),
                "release",
                "--version",
                str(galaxy["version"]),
                "--date",
                args.date,
                "--ansible-doc-bin",
                os.path.join(BIN, "ansible-doc"),
            ],
            cwd=copy,
            env=env,
            check=False,
        )
        if done.returncode:
            return done.returncode
        shutil.copy(os.path.join(copy, "CHANGELOG.rst"), os.path.join(ROOT, "CHANGELOG.rst"))
        released = os.path.join(copy, "changelogs")
        for leaf in ("changelog.yaml",):
            shutil.copy(os.path.join(released, leaf), os.path.join(ROOT, "changelogs", leaf))
        fragments = os.path.join(ROOT, "changelogs", "fragments")
        kept = set(os.listdir(os.path.join(released, "fragments")))
        for name in sorted(os.listdir(fragments)):
            if name not in kept:
                os.unlink(os.path.join(fragments, name))
                print("consumed changelogs/fragments/%s" % name)
    print("released %s: CHANGELOG.rst, changelogs/changelog.yaml" % galaxy["version"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
