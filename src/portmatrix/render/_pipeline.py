"""The one render pipeline: select and compact, refuse what the target cannot say, print, count.

Every target goes through exactly these steps; there is no per-target special case here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from portmatrix.model import Matrix
from portmatrix.render import _registry
from portmatrix.render._expressible import check_expressible
from portmatrix.render._platform import refusal, refuse_platform
from portmatrix.render._protocol import Counts, Renderer, RenderOptions
from portmatrix.render._refusal import Skipped
from portmatrix.render._scope import CompactMatrix, FlowIndex, build


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered file and what went into it, for ``--stats`` and warnings."""

    target: str
    subject: str
    suffix: str
    text: str
    flows_in: int
    counts: Counts
    warnings: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()  # the flows behind the warnings, for grouping them

    def stats(self) -> dict[str, object]:
        """What ``--stats`` reports: flows in, rules and elements out."""
        return {
            "target": self.target,
            "subject": self.subject,
            "flows_in": self.flows_in,
            "rules_out": self.counts.rules,
            "elements_out": self.counts.elements,
        }


def renderer_for(target: str | Renderer) -> Renderer:
    return _registry.load(target) if isinstance(target, str) else target


def describe_targets() -> list[dict[str, Any]]:
    """Every render target and what it can express (``render --list --json``)."""
    return [
        {
            "name": r.name,
            "suffix": r.suffix,
            "modes": sorted(mode.value for mode in r.capabilities.modes),
            "families": sorted(r.capabilities.families),
            "egress": r.capabilities.egress,
            "platforms": sorted(r.capabilities.platforms),
            "description": r.description,
            "can_render": r.capabilities.describe(),
        }
        for r in _registry.load_all()
    ]


def render(
    matrix: Matrix,
    target: str | Renderer,
    *,
    host: str | None = None,
    between: tuple[str, str] | None = None,
    egress: bool = False,
    skip_unbound: bool = False,
    family: int | None = None,
    exact: bool = False,
    force: bool = False,
) -> Rendered:
    """Render one host's firewall (``host``) or the ACL between two zones (``between``)."""
    options = RenderOptions(
        host=host,
        between=between,
        egress=egress,
        skip_unbound=skip_unbound,
        family=family,
        exact=exact,
        force=force,
    )
    return render_with(matrix, renderer_for(target), options=options)


def render_hosts(
    matrix: Matrix,
    target: str | Renderer,
    *,
    egress: bool = False,
    skip_unbound: bool = False,
    family: int | None = None,
    exact: bool = False,
    force: bool = False,
) -> dict[str, Rendered]:
    """Every single-address host's firewall by name; networks (phone subnets) are not hosts,
    and a host the target cannot run on is left out (see :func:`left_out`) unless ``force``."""
    everything = render_hosts_for(
        matrix,
        [target],
        egress=egress,
        skip_unbound=skip_unbound,
        family=family,
        exact=exact,
        force=force,
    )
    return next(iter(everything.values()))


def render_hosts_for(
    matrix: Matrix,
    targets: Sequence[str | Renderer],
    *,
    egress: bool = False,
    skip_unbound: bool = False,
    family: int | None = None,
    exact: bool = False,
    on_host: Callable[[str], None] | None = None,
    force: bool = False,
) -> dict[str, dict[str, Rendered]]:
    """Every host for several targets (target -> host -> file), compacting each host once.

    ``on_host`` is called with each host's name once its files are printed (progress). A host
    a target cannot run on gets no file of that target (:func:`left_out` says which, and why)
    unless ``force``.
    """
    renderers = [renderer_for(target) for target in targets]
    label = ", ".join(renderer.name for renderer in renderers)
    index = FlowIndex.of(matrix)
    out: dict[str, dict[str, Rendered]] = {renderer.name: {} for renderer in renderers}
    for name in sorted(matrix.endpoints):
        if matrix.endpoints[name].is_network:
            continue
        options = RenderOptions(
            host=name,
            egress=egress,
            skip_unbound=skip_unbound,
            family=family,
            exact=exact,
            host_firewall=matrix.host_firewall,
            force=force,
        )
        fitting = [r for r in renderers if force or _runs_on(matrix, name, r)]
        if fitting:
            compact = build(matrix, target=label, options=options, index=index)
        for renderer in fitting:
            out[renderer.name][name] = _print(compact, renderer, options)
        if on_host is not None:
            on_host(name)
    return out


def _runs_on(matrix: Matrix, host: str, renderer: Renderer) -> bool:
    endpoint = matrix.endpoints[host]
    return refusal(endpoint, target=renderer.name, capabilities=renderer.capabilities) is None


def left_out(matrix: Matrix, target: str | Renderer) -> list[str]:
    """Why each host :func:`render_hosts_for` leaves out for ``target`` (one line each)."""
    renderer = renderer_for(target)
    reasons = []
    for name in sorted(matrix.endpoints):
        endpoint = matrix.endpoints[name]
        if endpoint.is_network:
            continue
        reason = refusal(endpoint, target=renderer.name, capabilities=renderer.capabilities)
        if reason is not None:
            reasons.append(f"left out {name}: {reason}")
    return reasons


def host_count(matrix: Matrix) -> int:
    """How many hosts :func:`render_hosts_for` renders (networks are not hosts)."""
    return sum(1 for endpoint in matrix.endpoints.values() if not endpoint.is_network)


def render_with(
    matrix: Matrix, renderer: Renderer, *, options: RenderOptions, index: FlowIndex | None = None
) -> Rendered:
    """Select and compact for ``options``, then check and print with one renderer."""
    if options.host_firewall is None:
        options = replace(options, host_firewall=matrix.host_firewall)
    compact = build(matrix, target=renderer.name, options=options, index=index)
    return _print(compact, renderer, options)


def _print(compact: CompactMatrix, renderer: Renderer, options: RenderOptions) -> Rendered:
    if compact.host is not None and not options.force:
        refuse_platform(compact.host, target=renderer.name, capabilities=renderer.capabilities)
    check_expressible(
        compact, target=renderer.name, capabilities=renderer.capabilities, options=options
    )
    text = renderer.render(compact, options=options)
    warnings = tuple(f"{compact.subject}: left out {skipped}" for skipped in compact.skipped)
    return Rendered(
        target=renderer.name,
        subject=compact.subject,
        suffix=renderer.suffix,
        text=text,
        flows_in=compact.flows_in,
        counts=renderer.count(text),
        warnings=warnings,
        skipped=compact.skipped,
    )
