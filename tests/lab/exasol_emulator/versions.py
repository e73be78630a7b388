"""Emulated Exasol releases (LAB_EXASOL_VERSION): a short name maps to a concrete release.

Standalone (no package imports) so that the lab component can load it by path.
"""

VERSIONS = {"6.1": "6.1.4", "6.2": "6.2.17", "7.0": "7.0.20", "7.1": "7.1.26", "8": "8.29.12", "2025": "2025.1.3"}
# The generation a lab gets when LAB_EXASOL_VERSION is unset and tests/lab/state is fresh: the current
# LTS line (issue 13; Exasol 7.1 reached end of life on 2025-06-30). The one place that names it.
DEFAULT = "2025"


def release_of(setting):
    """LAB_EXASOL_VERSION (6.1, 6.2, 7.0, 7.1, 8, 2025 or a full x.y.z) -> release string."""
    setting = str(setting).strip()
    if setting in VERSIONS:
        return VERSIONS[setting]
    parts = setting.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return setting
    raise ValueError("unknown Exasol version %r (use one of %s or x.y.z)" % (setting, ", ".join(VERSIONS)))


def version_tuple(release):
    return tuple(int(p) for p in release.split("."))


def generation(release):
    """`cos` for Exasol 8 / 2025.x (c4, COS containers), `classic` for 6.x / 7.x."""
    return "cos" if version_tuple(release) >= (8,) else "classic"
