"""exasol_adapter_script: jar paths must stay inside /buckets/<service>/<bucket>/ (issue 11 item 17)."""

import pytest

from ansible_collections.virtualis.aurora.plugins.module_utils._exasol import ExasolInputError
from ansible_collections.virtualis.aurora.plugins.modules import exasol_adapter_script as script

CLASS = "com.exasol.adapter.RequestDispatcher"


@pytest.mark.parametrize(
    "jar",
    [
        "/buckets/bfsdefault/default/../../../etc/evil.jar",
        "/buckets/../../etc/evil.jar",
        "/buckets/bfsdefault/../other/evil.jar",
        "/buckets/bfsdefault/default/jars/./a.jar",
        "/buckets/bfsdefault/default/jars//a.jar",
        "/buckets/bfsdefault/default/%2e%2e/a.jar",
        "/buckets/bfsdefault/default/a%2f..%2fb.jar",
    ],
)
def test_escaping_jar_paths_are_refused(jar):
    with pytest.raises(ExasolInputError, match=r"has a '.*' component: a jar must stay inside its bucket") as err:
        script.build_body(CLASS, [], ["/buckets/bfsdefault/default/jars/ok.jar", jar])
    assert repr(jar) in str(err.value)


def test_plain_jar_paths_pass():
    body = script.build_body(
        CLASS,
        [],
        [
            "/buckets/bfsdefault/default/jars/virtual-schema-dist-12.0.0-postgresql-3.1.0.jar",
            "/buckets/bfs1/second/drivers/pg..old/postgresql-42.7.4.jar",
        ],
    )
    assert "%jar /buckets/bfs1/second/drivers/pg..old/postgresql-42.7.4.jar;" in body
