"""Refusing, before a renderer runs, whatever its declared capabilities cannot express."""

from __future__ import annotations

from portmatrix.errors import RenderError
from portmatrix.render._protocol import Capabilities, RenderOptions
from portmatrix.render._refusal import Problem, raise_if
from portmatrix.render._scope import CompactMatrix, flow_family

FAMILY_HINT = "render each address family into its own file with --family 4 and --family 6"


def check_expressible(
    matrix: CompactMatrix, *, target: str, capabilities: Capabilities, options: RenderOptions
) -> None:
    """Raise one RenderError naming every flow ``target`` cannot carry; return if all fit."""
    if matrix.mode not in capabilities.modes:
        modes = " or ".join(sorted(mode.value for mode in capabilities.modes))
        raise RenderError(
            f"{target} cannot render a {matrix.mode.value} firewall ({matrix.subject}); "
            f"it renders {modes} mode only"
        )
    if options.egress and not capabilities.egress:
        raise RenderError(f"{target} cannot filter outbound traffic; render without --egress")
    raise_if(target, matrix.subject, _family_problems(matrix, capabilities))


def _family_problems(matrix: CompactMatrix, capabilities: Capabilities) -> list[Problem]:
    families = matrix.families
    mixed = not capabilities.mixed_families and len(families) > 1
    if families <= capabilities.families and not mixed:
        return []  # the grants say it all; only name flows when something is wrong
    problems = []
    for flow in matrix.flows:
        family = flow_family(flow)
        if family is None or flow.local_only:
            continue
        if family not in capabilities.families:
            problems.append(Problem(flow, "address", f"IPv{family} is not supported by the target"))
        elif mixed and family == 6:
            why = "IPv6 flow in a file that also holds IPv4 rules"
            problems.append(Problem(flow, "address", why, FAMILY_HINT))
    return problems
