"""The renderer registry: the built-in targets in code, the ``portmatrix.renderers`` group on top.

See :mod:`portmatrix.plugins` for how every kind of extension is found. Nothing is imported until
a target is asked for by name.
"""

from __future__ import annotations

from portmatrix.plugins import PluginRef, Registry, protocol_check
from portmatrix.render._protocol import Renderer

ENTRY_POINT_GROUP = "portmatrix.renderers"

BUILTIN_RENDERERS = {
    "aerleon": "portmatrix.render.aerleon:AerleonRenderer",
    "asa": "portmatrix.render.asa:AsaRenderer",
    "ios": "portmatrix.render.ios:IosRenderer",
    "iptables": "portmatrix.render.iptables:IptablesRenderer",
    "nftables": "portmatrix.render.nftables:NftablesRenderer",
    "windows": "portmatrix.render.windows:WindowsRenderer",
}

RENDERERS: Registry[Renderer] = Registry(
    kind="render target",
    group=ENTRY_POINT_GROUP,
    builtins=BUILTIN_RENDERERS,
    accepts=protocol_check(Renderer),
    needs="name, suffix, description, capabilities, render() and count()",
)


def available() -> dict[str, PluginRef]:
    """Every registered target name -> where it lives, refusing two plugins for one name."""
    return RENDERERS.refs()


def load(name: str) -> Renderer:
    """The renderer for ``name``, imported now and checked against the Protocol."""
    return RENDERERS.load(name)


def load_all() -> list[Renderer]:
    return RENDERERS.load_all()
