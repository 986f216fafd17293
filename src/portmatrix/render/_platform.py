"""A host firewall is written only for a host that can run it.

Windows Defender Firewall rules are PowerShell for a Windows server; nftables and iptables are
for Linux. Unity Connection and Unified CM run Cisco's closed Voice Operating System, an
appliance takes no rules from us, and a /22 of phones is not a host at all: for those, the
useful outputs are the network ACLs in front of them (``--between``, ASA, IOS) and ``check``.
So a target that declares the platforms it runs on (:attr:`Capabilities.platforms`) refuses any
other host with one line naming the host and its platform, unless the user insists
(``--force``).
"""

from __future__ import annotations

from portmatrix.errors import RenderError
from portmatrix.model import Endpoint
from portmatrix.render._protocol import Capabilities

FORCE_HINT = "--force renders it anyway"


def refusal(endpoint: Endpoint, *, target: str, capabilities: Capabilities) -> str | None:
    """Why ``target`` cannot be installed on ``endpoint``, or None when it can."""
    runs_on = capabilities.platforms
    if not runs_on:
        return None
    wanted = "/".join(sorted(runs_on))
    if endpoint.is_network:
        return (
            f"{target} is a host firewall for a {wanted} host, and {endpoint.name} is a network "
            f"({endpoint.address}), not a host; render the ACL in front of it (asa or ios "
            f"--between), or {FORCE_HINT}"
        )
    if endpoint.platform == "any" or endpoint.platform in runs_on:
        return None
    return (
        f"{target} is a host firewall for a {wanted} host, and {endpoint.name} runs "
        f"{endpoint.platform} (roles {', '.join(endpoint.roles)}); filter it with a network ACL "
        f"(asa or ios --between) and check it with portmatrix check, or {FORCE_HINT}"
    )


def refuse_platform(endpoint: Endpoint, *, target: str, capabilities: Capabilities) -> None:
    reason = refusal(endpoint, target=target, capabilities=capabilities)
    if reason is not None:
        raise RenderError(reason)
