"""Firewall rules from a resolved matrix, for any registered target.

``render(matrix, "nftables", host="cce-rgr-a").text`` is the host firewall of one endpoint;
``between=("agents", "datacenter")`` gives the ACL for a firewall between two zones;
``render_hosts`` renders every host. Targets are plugins in the ``portmatrix.renderers``
entry-point group (see :class:`Renderer`); the built-in ones register the same way.
"""

from __future__ import annotations

from portmatrix.render._pipeline import (
    Rendered,
    describe_targets,
    left_out,
    render,
    render_hosts,
    render_hosts_for,
    render_with,
    renderer_for,
)
from portmatrix.render._protocol import Capabilities, Counts, Mode, Renderer, RenderOptions
from portmatrix.render._registry import ENTRY_POINT_GROUP, available, load, load_all
from portmatrix.render._scope import Action, CompactMatrix, Hook, Section

__all__ = [
    "ENTRY_POINT_GROUP",
    "Action",
    "Capabilities",
    "CompactMatrix",
    "Counts",
    "Hook",
    "Mode",
    "RenderOptions",
    "Rendered",
    "Renderer",
    "Section",
    "available",
    "describe_targets",
    "left_out",
    "load",
    "load_all",
    "render",
    "render_hosts",
    "render_hosts_for",
    "render_with",
    "renderer_for",
]
