"""The lab's EXAoperation emulator, proven with Python's own xmlrpc.client over verified TLS."""

import json
import os
import ssl
import urllib.parse
import urllib.request
import uuid
import xmlrpc.client

import pytest

pytestmark = pytest.mark.exasol7  # no EXAoperation on 2025.x: `make e2e` runs these on its 7.1 lab


@pytest.fixture(scope="module")
def exaop(lab):
    if "exaoperation" not in lab:
        pytest.skip("the lab has no exaoperation component")
    return lab["exaoperation"]


def context(exaop):
    return ssl.create_default_context(cafile=exaop["ca_file"])


def proxy(exaop, path="", password=None):
    """ServerProxy with the credentials in the URL, as the exaoperation-xmlrpc examples do."""
    parts = urllib.parse.urlsplit(exaop["url"])
    netloc = "%s:%s@%s" % (
        urllib.parse.quote(exaop["user"], safe=""),
        urllib.parse.quote(password if password is not None else exaop["password"], safe=""),
        parts.netloc,
    )
    return xmlrpc.client.ServerProxy(
        urllib.parse.urlunsplit((parts.scheme, netloc, parts.path + path, "", "")), context=context(exaop)
    )


@pytest.fixture()
def driver(exaop):
    """A JDBC driver registered for one test, removed afterwards."""
    cluster = proxy(exaop)
    name = "PG_%s" % uuid.uuid4().hex[:8].upper()
    driver_id = cluster.addJDBCDriver(
        {
            "jdbc_name": name,
            "jdbc_main": "org.postgresql.Driver",
            "jdbc_prefix": "jdbc:postgresql:",
            "disable_security_manager": False,
            "comment": "pytest",
        }
    )
    yield driver_id, name
    if driver_id in cluster.getAllJDBCDrivers():
        cluster.deleteSubObject(driver_id)


def test_add_upload_inspect_remove(exaop, driver):
    driver_id, name = driver
    cluster = proxy(exaop)
    assert isinstance(driver_id, str) and driver_id in cluster.getAllJDBCDrivers()
    assert driver_id in cluster.getInstalledJDBCDrivers()
    obj = proxy(exaop, "/" + driver_id)
    jar = b"PK\x03\x04" + os.urandom(2048)
    # uploadFile(data, filename) on the driver object; it answers nothing (XML-RPC nil)
    assert obj.uploadFile(xmlrpc.client.Binary(jar), "postgresql-42.7.4.jar") is None
    props = obj.getProperties()
    assert props["jdbc_name"] == name and props["jdbc_prefix"] == "jdbc:postgresql:"
    assert props["jdbc_main"] == "org.postgresql.Driver" and props["disable_security_manager"] is False
    assert [url.rsplit("/", 1)[1] for url in props["jdbc_jars"]] == ["postgresql-42.7.4.jar"]
    # what tests of the product inspect: the state file and the lab-only endpoint
    with open(exaop["jdbc_drivers_file"]) as handle:
        entry = {d["id"]: d for d in json.load(handle)["drivers"]}[driver_id]
    with open(entry["jar_files"][0], "rb") as handle:
        assert handle.read() == jar
    with urllib.request.urlopen(exaop["lab_endpoint"], context=context(exaop), timeout=10) as response:
        assert driver_id in {d["id"] for d in json.load(response)["drivers"]}
    assert obj.removeJARFiles() is None
    assert obj.getProperties()["jdbc_jars"] == []
    assert not os.path.exists(entry["jar_files"][0])


def test_dotted_method_names_reach_the_same_object(exaop, driver):
    driver_id, name = driver
    cluster = proxy(exaop)
    assert getattr(cluster, driver_id).getProperties()["jdbc_name"] == name
    assert getattr(cluster, driver_id).editJDBCDriver({"disable_security_manager": True, "comment": "pytest"}) == [
        "disable_security_manager"
    ]
    assert proxy(exaop, "/" + driver_id).getProperties()["disable_security_manager"] is True


def test_delete_sub_object(exaop, driver):
    driver_id = driver[0]
    cluster = proxy(exaop)
    cluster.deleteSubObject(driver_id)
    assert driver_id not in cluster.getAllJDBCDrivers()
    with pytest.raises(xmlrpc.client.Fault, match="NotFound"):
        proxy(exaop, "/" + driver_id).getProperties()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"jdbc_name": "X", "jdbc_main": "a.B", "jdbc_prefix": "postgresql:"}, 'must begin with "jdbc:"'),
        ({"jdbc_name": "X", "jdbc_main": "a.B", "jdbc_prefix": "jdbc:postgresql"}, 'end with ":"'),
        ({"jdbc_name": "X", "jdbc_prefix": "jdbc:x:"}, "jdbc_main is missing"),
        ({"jdbc_name": "X", "jdbc_main": "a.B", "jdbc_prefix": "jdbc:x:", "driver_name": "X"}, "unknown parameter"),
        ({"jdbc_name": "X", "jdbc_main": "a.B", "jdbc_prefix": "jdbc:x:", "disable_security_manager": "yes"}, "Bool"),
    ],
)
def test_bad_driver_definitions_are_faults(exaop, params, message):
    with pytest.raises(xmlrpc.client.Fault, match=message):
        proxy(exaop).addJDBCDriver(params)


def test_unknown_methods_and_objects_are_faults(exaop):
    cluster = proxy(exaop)
    with pytest.raises(xmlrpc.client.Fault, match="Unexpected Zope exception: NotFound"):
        cluster.deleteJDBCDriver("jdbc_driver1")
    with pytest.raises(xmlrpc.client.Fault, match="NotFound: Object no_such_object"):
        proxy(exaop, "/no_such_object").getProperties()
    assert cluster.getProperties() == {}


def test_wrong_password_is_http_401(exaop):
    with pytest.raises(xmlrpc.client.ProtocolError) as caught:
        proxy(exaop, password="wrong").getAllJDBCDrivers()
    assert caught.value.errcode == 401


def test_tls_is_verified_against_the_lab_ca_only(exaop):
    parts = urllib.parse.urlsplit(exaop["url"])
    plain = xmlrpc.client.ServerProxy("https://%s/cluster1" % parts.netloc, context=ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        plain.getAllJDBCDrivers()
