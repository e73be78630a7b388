"""Checks a JDBC driver's `settings.cfg` the way Exasol documents it.

Sources (see tests/lab/README_exasol.md, section "BucketFS"):
- exasol/docker-db README, "Installing custom JDBC drivers" (6.0.7-d1 .. 7.1): the file lists
  DRIVERNAME, JAR, DRIVERMAIN, PREFIX, FETCHSIZE, INSERTSIZE ("Do not modify the last two lines").
- Exasol changelog 14924 "ETL: Simplified configuration for JDBC drivers" (fixed in 8.0.3): from then
  on only DRIVERNAME, PREFIX, FETCHSIZE and INSERTSIZE are required; JAR and DRIVERMAIN are optional.
- docs.exasol.com "Add JDBC Driver": optional NOSECURITY=YES; every line, including the last one,
  must end with a line feed (LF).
"""

KNOWN_KEYS = ("DRIVERNAME", "JAR", "DRIVERMAIN", "PREFIX", "FETCHSIZE", "INSERTSIZE", "NOSECURITY")
REQUIRED_SIMPLIFIED = ("DRIVERNAME", "PREFIX", "FETCHSIZE", "INSERTSIZE")
REQUIRED_CLASSIC = ("DRIVERNAME", "JAR", "DRIVERMAIN", "PREFIX", "FETCHSIZE", "INSERTSIZE")


def simplified(version):
    """True when the emulated version has the 8.0.3 simplified format (JAR/DRIVERMAIN optional)."""
    numbers = []
    for part in str(version).strip().split("."):
        try:
            numbers.append(int(part))
        except ValueError:
            break
    if not numbers:
        return True
    if len(numbers) == 1:  # "8", "2025": the lab's current release of that line
        return numbers[0] >= 8
    return tuple(numbers + [0, 0])[:3] >= (8, 0, 3)


def required_keys(version):
    return REQUIRED_SIMPLIFIED if simplified(version) else REQUIRED_CLASSIC


def check(data, files_in_dir, version):
    """Check settings.cfg bytes. Returns a dict: valid, errors, warnings, settings, jars.

    files_in_dir: names of the files published next to settings.cfg (same directory).
    """
    errors, warnings, settings = [], [], {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {
            "valid": False,
            "errors": ["settings.cfg is not UTF-8 text"],
            "warnings": [],
            "settings": {},
            "jars": [],
        }
    if not text:
        errors.append("settings.cfg is empty")
    elif not text.endswith("\n"):
        errors.append(
            "the last line does not end with a line feed (LF); every line, including the last one, must end with LF"
        )
    for number, line in enumerate(text.split("\n"), start=1):
        if line.endswith("\r"):
            errors.append("line %d ends with CR LF; lines must end with LF only" % number)
            line = line[:-1]
        if not line.strip():
            continue
        if "=" not in line:
            errors.append("line %d is not KEY=VALUE: %r" % (number, line))
            continue
        key, value = line.split("=", 1)
        if key != key.strip() or key not in KNOWN_KEYS:
            warnings.append("line %d: unknown key %r" % (number, key))
            continue
        if key in settings:
            errors.append("line %d: key %s given twice" % (number, key))
            continue
        settings[key] = value
    for key in required_keys(version):
        if not settings.get(key):
            errors.append("required key %s is missing or empty" % key)
    for key in ("FETCHSIZE", "INSERTSIZE"):
        if settings.get(key):
            try:
                int(settings[key])
            except ValueError:
                errors.append("%s must be an integer, not %r" % (key, settings[key]))
    if "NOSECURITY" in settings and settings["NOSECURITY"] not in ("YES", "NO"):
        errors.append("NOSECURITY must be YES or NO, not %r" % settings["NOSECURITY"])
    prefix = settings.get("PREFIX", "")
    if prefix and not (prefix.startswith("jdbc:") and prefix.endswith(":")):
        warnings.append("PREFIX %r does not look like jdbc:<subprotocol>:" % prefix)
    present_jars = sorted(name for name in files_in_dir if name.endswith(".jar"))
    if settings.get("JAR"):
        jars = [name.strip() for name in settings["JAR"].split(";") if name.strip()]
        for name in jars:
            if name not in files_in_dir:
                errors.append("JAR %s is not in the driver directory" % name)
    else:
        jars = present_jars
        if not jars:
            errors.append("no .jar file in the driver directory")
    return {"valid": not errors, "errors": errors, "warnings": warnings, "settings": settings, "jars": jars}
