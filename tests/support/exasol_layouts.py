"""Node trees in the layouts the lab builds (tests/lab/components/nodes.py layout()), for tests
that need no lab: Exasol 6.x/7.x ("classic") and 2025.x ("cos")."""

import os

from components import nodes
from truststores import make_jks


def node_tree(root, kind, loader_certificates=(), runtimes=("8.8.0",)):
    """A node of layout(3, kind) under root (its symlinked-SLC variant, an absolute link resolved
    inside the container): every store is a JKS; the first loader store holds loader_certificates,
    the others none. 2025.x: one loader store per runtime JDK (an update adds one).
    Returns {store as on the node: file that holds it, as on the node}."""
    spec = nodes.layout(3, kind)
    loaders = (
        [spec["loader_truststore"]]
        if kind == "classic"
        else ["/opt/exasol/runtime-%s-jdk/lib/security/cacerts" % v for v in runtimes]
    )
    slc_store = spec["slc_truststores"][0]
    stores = {path: path for path in loaders}
    stores[slc_store] = spec["slc_truststores_resolved"][0]
    for path, real in stores.items():
        os.makedirs(str(root) + os.path.dirname(real), exist_ok=True)
        make_jks(str(root) + real, loader_certificates if path == loaders[0] else [])
    if spec["slc_symlink"]:
        os.makedirs(str(root) + os.path.dirname(slc_store))
        os.symlink(nodes.UBUNTU_CACERTS, str(root) + slc_store)
    return stores


def slc_store(kind):
    """The SLC store of node_tree(), as on the node."""
    return nodes.layout(3, kind)["slc_truststores"][0]
