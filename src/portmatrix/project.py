"""The one object every edge talks to: a catalog, maybe a deployment, and its matrix.

A CLI command, a web handler or another program builds a :class:`Project` from paths, YAML text
or plain dicts and asks it questions; it never resolves an inventory, loads a catalog or builds
a probe planner itself. Each stage is computed once, on first use, and kept: asking for the
matrix twice resolves once, and a look-up that needs only the catalog never reads the inventory.

The heavy parts (renderers, the checker, the prober) are imported inside the methods that need
them, so ``Project(...).find_port(40087)`` stays a fast, small process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portmatrix.errors import InventoryError, LookupFailure
from portmatrix.portindex import DEFAULT_MAX_INSTANCE, PortMatch
from portmatrix.suggest import unknown

if TYPE_CHECKING:
    from portmatrix.catalog import Catalog, PackSource
    from portmatrix.change_request import CoverFacts, Sorted
    from portmatrix.check import Report, Ruleset
    from portmatrix.diff import MatrixDiff
    from portmatrix.envelope import Envelope
    from portmatrix.exporters import Listing
    from portmatrix.inventory import Deployment
    from portmatrix.model import CatalogEntry, Flow, Matrix, ParamSpec, Protocol
    from portmatrix.render import Rendered, Renderer
    from portmatrix.resolve import Decision
    from portmatrix.verify.plan import ProbePlan, Sampling

#: An inventory as a file path, as YAML text (:class:`InventoryText`) or as plain data.
InventorySource = str | Path | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InventoryText:
    """An inventory given as YAML text rather than a file; ``name`` is how errors cite it."""

    text: str
    name: str = "<inventory>"


class Project:
    """A deployment's catalog, inventory and matrix, each computed once and only when asked.

    ``inventory`` may be omitted for catalog look-ups. ``catalogs`` adds users' packs (paths,
    :class:`~portmatrix.catalog.PackText` or plain dicts) to the bundled ones, or replaces them
    when ``bundled`` is false.
    """

    def __init__(
        self,
        inventory: InventorySource | InventoryText | None = None,
        *,
        catalogs: Sequence[PackSource] = (),
        bundled: bool = True,
        strict: bool = False,
    ):
        self._inventory = inventory
        self._catalogs = tuple(catalogs)
        self._bundled = bundled
        self.strict = strict

    def __repr__(self) -> str:
        return f"Project(inventory={self.inventory_name!r}, catalogs={len(self._catalogs)})"

    # ------------------------------------------------------------------ the three stages
    @cached_property
    def catalog(self) -> Catalog:
        from portmatrix.catalog import load_catalog

        return load_catalog(self._catalogs, bundled=self._bundled)

    @property
    def inventory_name(self) -> str | None:
        source = self._inventory
        if source is None:
            return None
        if isinstance(source, InventoryText):
            return source.name
        if isinstance(source, Mapping):
            return "<inventory data>"
        return str(source)

    @cached_property
    def deployment(self) -> Deployment:
        from portmatrix.inventory import build_deployment, load_inventory
        from portmatrix.yamlio import LineMap, parse_yaml

        source = self._inventory
        if source is None:
            raise LookupFailure("this question needs an inventory, and none was given")
        if isinstance(source, InventoryText):
            data, lines = parse_yaml(source.text, name=source.name, error=InventoryError)
            return build_deployment(data, self.catalog, file=source.name, lines=lines)
        if isinstance(source, Mapping):
            name = "<inventory data>"
            return build_deployment(dict(source), self.catalog, file=name, lines=LineMap({}))
        return load_inventory(source, self.catalog)

    @cached_property
    def matrix(self) -> Matrix:
        from portmatrix.resolve import resolve

        return resolve(self.deployment, self.catalog, strict=self.strict)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.matrix.warnings

    # ------------------------------------------------------------------ catalog look-ups
    def find_port(
        self,
        port: int,
        *,
        protocol: Protocol | str | None = None,
        max_instance: int = DEFAULT_MAX_INSTANCE,
        lang: str = "en",
        include_ephemeral: bool = False,
    ) -> list[PortMatch]:
        """Every catalog entry ``port`` can belong to, formula ports solved backwards.

        The bundled catalog alone answers from its compiled port index when it can (the same
        answer, without loading the catalog); a user's pack takes the full look-up.
        """
        if not 1 <= port <= 65535:
            raise LookupFailure(f"port {port} is outside 1-65535")
        if not self._catalogs and self._bundled and "catalog" not in self.__dict__:
            from portmatrix.portindex import lookup

            found = lookup(
                port,
                protocol=None if protocol is None else str(protocol),
                max_instance=max_instance,
                lang=lang,
                include_ephemeral=include_ephemeral,
            )
            if found is not None:
                return found
        from portmatrix.lookup import find_port
        from portmatrix.model import Protocol

        return find_port(
            self.catalog,
            port,
            protocol=Protocol(protocol) if protocol else None,
            max_instance=max_instance,
            lang=lang,
            include_ephemeral=include_ephemeral,
        )

    def search(self, text: str) -> list[CatalogEntry]:
        from portmatrix.lookup import search

        return search(self.catalog, text)

    def entry(self, entry_id: str) -> CatalogEntry:
        return self.catalog.entry(entry_id)

    def entries(self, *, product: str | None = None) -> list[CatalogEntry]:
        """Every entry, or those of one product (matched case-insensitively)."""
        if product is None:
            return list(self.catalog.entries)
        wanted = self._product(product)
        return [entry for entry in self.catalog.entries if entry.product == wanted]

    def roles(self, *, product: str | None = None) -> Envelope:
        """Every role (or one product's) with its parameters, platform and the entries that
        listen on it or connect from it: what an inventory author needs to pick roles."""
        from portmatrix.envelope import Envelope, counts

        catalog = self.catalog
        wanted = self._product(product) if product else None
        listens: dict[str, list[str]] = {}
        connects: dict[str, list[str]] = {}
        for entry in catalog.entries:
            listens.setdefault(entry.role.role, []).append(entry.id)
            for peer in entry.peers:
                connects.setdefault(peer.role, []).append(entry.id)
        rows = []
        owners = []
        for role, spec in sorted(catalog.roles.items()):
            owner = catalog.role_products.get(role, "")
            if wanted is not None and owner != wanted:
                continue
            owners.append(owner)
            rows.append(
                {
                    "role": role,
                    "product": owner,
                    "name": spec.name,
                    "platform": spec.platform,
                    "params": {key: _param(value) for key, value in spec.params.items()},
                    "listens": listens.get(role, []),
                    "connects": list(dict.fromkeys(connects.get(role, []))),
                }
            )
        summary = {"roles": len(rows), "by_product": counts(owners)}
        return Envelope("roles", {"product": wanted}, summary, {"roles": rows})

    def options(self, *, product: str | None = None, lang: str = "en") -> Envelope:
        """Every deployment option (or one product's) with its type, choices, default and the
        entries it gates or numbers: what an inventory author sets under ``options:``."""
        from portmatrix.catalog import option_uses
        from portmatrix.envelope import Envelope, counts

        catalog = self.catalog
        wanted = self._product(product) if product else None
        declared: dict[str, str] = {}
        for pack in catalog.packs:
            for name in pack.options:
                declared.setdefault(name, pack.product)
        gates, numbers = option_uses(catalog)
        rows: list[dict[str, Any]] = []
        for name, spec in sorted(catalog.options.items(), key=lambda item: item[0].casefold()):
            owner = declared.get(name, "")
            if wanted is not None and owner != wanted:
                continue
            rows.append(
                {
                    "option": name,
                    "product": owner,
                    "type": spec.type,
                    "choices": list(spec.choices),
                    "default": list(spec.default)
                    if isinstance(spec.default, list | tuple)
                    else spec.default,
                    "description": spec.description.get(lang),
                    "gates": gates.get(name, []),
                    "ports": numbers.get(name, []),
                }
            )
        summary = {
            "options": len(rows),
            "by_product": counts(row["product"] for row in rows),
            "gated_entries": len({entry for row in rows for entry in row["gates"]}),
        }
        return Envelope("options", {"product": wanted, "lang": lang}, summary, {"options": rows})

    def _product(self, product: str) -> str:
        products = sorted({entry.product for entry in self.catalog.entries})
        products += sorted(set(self.catalog.role_products.values()) - set(products))
        wanted = next((known for known in products if known.casefold() == product.casefold()), None)
        if wanted is None:
            raise unknown("product", product, products, where="the catalog")
        return wanted

    # ------------------------------------------------------------------ the matrix
    def listing(self, *, lang: str = "en") -> Listing:
        """The matrix as a change request: permit requests, local-only ports, unbound flows."""
        from portmatrix.change_request import Wording, matrix_rows

        matrix = self.matrix
        rows = matrix_rows(matrix, Wording.of(self.catalog, lang))
        return self._listing(
            "matrix", f"Flow matrix: {matrix.name}", rows, self.scope(), [self], lang
        )

    def scope(self, **more: Any) -> dict[str, Any]:
        """What a result was computed for: the inventory, options in effect, and anything more."""
        scope: dict[str, Any] = {"inventory": self.inventory_name}
        if self._inventory is not None:
            scope["deployment"] = self.deployment.name
            scope["options"] = dict(self.deployment.options)
            scope.update(self.deployment.site.scope())
        scope.update({key: value for key, value in more.items() if value is not None})
        return scope

    def purposes(self, lang: str = "en") -> dict[str, str]:
        """Every catalog entry's purpose in ``lang`` (entry id -> text), as rows word them."""
        from portmatrix.change_request import Wording

        wording = Wording.of(self.catalog, lang)
        return {entry.id: wording.entry_purpose(entry) for entry in self.catalog.entries}

    def explain(self, src: str, dst: str) -> list[Decision]:
        """Why each catalog entry that could apply between two endpoints made a flow or not."""
        from portmatrix.resolve import explain

        return explain(self.deployment, self.catalog, src, dst)

    def explanation(self, src: str, dst: str, *, lang: str = "en") -> Envelope:
        """:meth:`explain` as a result: every decision with its catalog purpose and reference."""
        from portmatrix.change_request import first_sentence
        from portmatrix.envelope import Envelope

        decisions = []
        for decision in self.explain(src, dst):
            entry = self.catalog.by_id.get(decision.rule)
            notes = entry.notes.get(lang) if entry else ""
            decisions.append(
                {
                    "rule": decision.rule,
                    "owner": decision.owner,
                    "peer": decision.peer,
                    "made": decision.made,
                    "reason": decision.reason,
                    "network": entry.network if entry else None,
                    "purpose": first_sentence(notes) if notes else "",
                    "source": str(entry.source) if entry else "",
                }
            )
        made = sum(1 for item in decisions if item["made"])
        summary = {"decisions": len(decisions), "flow": made, "no_flow": len(decisions) - made}
        scope = self.scope(src=src, dst=dst)
        return Envelope("explain", scope, summary, {"decisions": decisions})

    def between(self, a: str, b: str) -> list[Flow]:
        """What must pass between two endpoints (or two zones), in both directions."""
        matrix = self.matrix
        if a in matrix.zones and b in matrix.zones:
            return matrix.flows_between(a, b)
        for name in (a, b):
            if name not in matrix.endpoints:
                raise _no_host(matrix, name)
        return [
            flow
            for flow in (*matrix.flows_from(a), *matrix.flows_from(b))
            if {flow.src, flow.dst} == {a, b}
        ]

    def diff(self, newer: Project) -> MatrixDiff:
        """The flows to open and to close when moving from this deployment to ``newer``."""
        from portmatrix.diff import diff_matrices

        return diff_matrices(self.matrix, newer.matrix)

    def diff_listing(self, newer: Project, *, lang: str = "en") -> Listing:
        """A change as a change request: flows to open (permit) and to close (remove)."""
        from portmatrix.change_request import Wording, change_rows

        change = self.diff(newer)
        wording = Wording.of(newer.catalog, lang)
        rows = change_rows(
            change.to_open, change.to_close, new=newer.matrix, old=self.matrix, wording=wording
        )
        title = f"Change: {self.matrix.name} -> {newer.matrix.name}"
        scope = {"old": self.scope(), "new": newer.scope()}
        return self._listing("change", title, rows, scope, [self, newer], lang)

    def _listing(
        self,
        kind: str,
        title: str,
        rows: Sorted,
        scope: dict[str, Any],
        projects: Sequence[Project],
        lang: str,
    ) -> Listing:
        from portmatrix.change_request import cover, summary
        from portmatrix.exporters import Listing, Section

        counted = summary(rows)
        sections = tuple(
            Section(key, f"{key}: {title}", items) for key, items in rows.lists().items()
        )
        facts = _cover_facts(title, projects, lang)
        notes = tuple(facts.overrides)
        return Listing(
            title, sections, scope, kind, counted, cover(facts, counted, lang), lang, notes
        )

    # ------------------------------------------------------------------ firewalls
    def render(
        self,
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
        """One host's firewall (``host``) or the ACL between two zones (``between``); a host
        firewall for a host whose platform cannot run it is refused unless ``force``."""
        from portmatrix.render import render, renderer_for

        renderer = renderer_for(target)  # an unknown target fails before resolution
        return render(
            self.matrix,
            renderer,
            host=host,
            between=between,
            egress=egress,
            skip_unbound=skip_unbound,
            family=family,
            exact=exact,
            force=force,
        )

    def render_hosts(
        self,
        targets: Sequence[str | Renderer],
        *,
        egress: bool = False,
        skip_unbound: bool = False,
        family: int | None = None,
        exact: bool = False,
        on_host: Callable[[str], None] | None = None,
        force: bool = False,
    ) -> dict[str, dict[str, Rendered]]:
        """Every host's firewall for each target (target -> host -> file), compacted once."""
        from portmatrix.render import render_hosts_for, renderer_for

        renderers = [renderer_for(target) for target in targets]
        return render_hosts_for(
            self.matrix,
            renderers,
            egress=egress,
            skip_unbound=skip_unbound,
            family=family,
            exact=exact,
            on_host=on_host,
            force=force,
        )

    def check(
        self,
        ruleset: str | Path | Ruleset,
        *,
        ruleset_type: str,
        host: str | None = None,
        between: tuple[str, str] | None = None,
        acl: str | None = None,
    ) -> Report:
        """Judge an existing ruleset (a file, or one already read) against the matrix."""
        from portmatrix.check import RulesetType, check_ruleset, load_ruleset

        loaded = (
            load_ruleset(ruleset, ruleset_type=RulesetType(ruleset_type))
            if isinstance(ruleset, str | Path)
            else ruleset
        )
        return check_ruleset(self.matrix, loaded, host=host, between=between, acl=acl)

    # ------------------------------------------------------------------ the wire
    def probe_plan(
        self, source: str, *, targets: Sequence[str] = (), sampling: Sampling | None = None
    ) -> ProbePlan:
        """Every check ``source`` makes (its total is known before any probe is sent)."""
        from portmatrix.verify.plan import ProbePlan

        for name in (source, *targets):
            self.require_probe_address(name)
        return ProbePlan.for_source(self.matrix, source, targets=targets, sampling=sampling)

    def require_probe_address(self, name: str) -> None:
        """An inventory error at the host's line when ``name`` is a network with no
        ``probe_address``: it may not be probed, probed from or emulated at a guessed address."""
        deployment = self.deployment
        host = next((host for host in deployment.hosts if host.name == name), None)
        if host is None or host.probe_address is not None:
            return  # an unknown name is the planner's to report, with its candidates
        if host.network.num_addresses == 1:
            return
        raise InventoryError(
            f"{name} is a network ({host.address}) with no probe_address; write the one "
            "address inside it that may be probed (the machine that runs the probe or an "
            "emulator), never a guessed one",
            file=deployment.file,
            line=deployment.line_of(host, "address"),
        )

    def lab_plan(self, *, sampling: Sampling | None = None) -> ProbePlan:
        """Every check of a lab run: each host probing every other."""
        from portmatrix.verify.plan import ProbePlan

        return ProbePlan.for_lab(self.matrix, sampling=sampling)


def _param(spec: ParamSpec) -> dict[str, Any]:
    """A role parameter as data, leaving out what is unset."""
    data: dict[str, Any] = {"type": spec.type, "required": spec.required}
    for key in ("choices", "min", "max", "default", "description"):
        value = getattr(spec, key)
        if value not in (None, (), ""):
            data[key] = list(value) if isinstance(value, tuple) else value
    return data


def _cover_facts(title: str, projects: Sequence[Project], lang: str) -> CoverFacts:
    from datetime import date

    from portmatrix import __version__
    from portmatrix.change_request import CoverFacts

    last = projects[-1]
    sites: dict[str, int] = {}
    for host in last.deployment.hosts:
        if host.site is not None:
            sites[host.site] = sites.get(host.site, 0) + 1
    packs = [
        f"{pack.product}: {pack.title.get(lang)} ({pack.document})"
        for pack in last.catalog.packs
        if pack.document
    ]
    return CoverFacts(
        title=title,
        deployments=[project.deployment.name for project in projects],
        inventories=[project.inventory_name or "-" for project in projects],
        options=dict(last.deployment.options),
        sites=sites,
        overrides=list(last.matrix.site_rules),
        packs=packs,
        version=__version__,
        date=date.today().isoformat(),
    )


def _no_host(matrix: Matrix, name: str) -> LookupFailure:
    return unknown("host or zone", name, [*matrix.endpoints, *matrix.zones], where=matrix.name)
