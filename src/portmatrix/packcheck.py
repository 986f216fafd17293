"""A pack held to its own declarations, so its mistakes are found at its own lines.

The schema checks each field alone; a pack can still contradict itself in ways that would only
surface later, against somebody's inventory, as a silently wrong matrix or as an error that
names the inventory for a fault that is the pack's:

* a peer condition (``same: [instnace]``) naming a parameter one of the two roles does not
  declare is never compared, so the peer matches every instance: a wider rule than documented;
* a condition (``when: {qos_private: flase}``) whose value is not among the option's values,
  or of another type, never holds, and the row silently disappears;
* a selector's ``where`` value that the role's parameter can never take selects nothing;
* a default outside its own choices, type, or ``min``/``max`` is applied to every inventory
  that does not set the value;
* a formula that leaves the port range with the pack's own defaults (or at an instance the role
  allows) fails for every inventory, and would be reported against the inventory's line.

:func:`check_pack` runs once per pack, after every pack's roles and options are known (a pack
may use the roles of another) and after the catalog has checked that every name an entry uses
is declared; it raises :class:`~portmatrix.errors.CatalogError` at the pack's file and line.
See ``docs/catalog-format.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from portmatrix import portspec
from portmatrix.errors import CatalogError, PortExpressionError
from portmatrix.model import CatalogEntry, OptionSpec, Pack, ParamSpec, PortItem, PortsAt

if TYPE_CHECKING:
    from portmatrix.catalog import Catalog
    from portmatrix.yamlio import LineMap

Where = tuple[str | int, ...]
Fail = Callable[[str, Where], CatalogError]

#: Instances a formula is tried at when its role bounds them; wider bounds are tried at the ends.
INSTANCES_TRIED = 1000


def check_pack(catalog: Catalog, pack: Pack, *, lines: LineMap, file: str) -> None:
    """Raise :class:`CatalogError` at ``file``:line for the first way ``pack`` contradicts itself."""

    def fail(message: str, where: Where) -> CatalogError:
        return CatalogError(message, file=file, line=lines.line(where))

    for name, option in pack.options.items():
        _check_option(name, option, fail)
    for role_id, role in pack.roles.items():
        for param, spec in role.params.items():
            _check_param(
                f"role {role_id!r} parameter {param!r}",
                spec,
                fail,
                ("roles", role_id, "params", param),
            )
    for index, entry in enumerate(pack.entries):
        _EntryCheck(catalog, entry, ("entries", index), fail).run()


# --------------------------------------------------------------------------- declarations


def _type_problem(kind: str, value: Any) -> str | None:
    """Why ``value`` is not of the declared ``kind``, or None."""
    if kind == "bool" and not isinstance(value, bool):
        return "must be true or false"
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return "must be a whole number"
    if kind in ("str", "ports") and not isinstance(value, str):
        return "must be text"
    return None


def _list_problem(choices: Iterable[Any], value: Any) -> str | None:
    """Why ``value`` is not a list of ``choices`` (a ``list`` option's or parameter's default)."""
    if not isinstance(value, list | tuple):
        return "must be a list"
    for item in value:
        problem = _choice_problem(choices, item)
        if problem is not None:
            return f"has {item!r}, which {problem}"
    return None


def _choice_problem(choices: Iterable[Any], value: Any) -> str | None:
    allowed = [str(choice) for choice in choices]
    if str(value) in allowed:
        return None
    return f"must be one of {', '.join(allowed)}"


def _check_option(name: str, option: OptionSpec, fail: Fail) -> None:
    where = ("options", name)
    label = f"option {name!r}"
    if option.type in ("choice", "list") and not option.choices:
        raise fail(f"{label} is a {option.type} with no choices", (*where, "type"))
    if option.type not in ("choice", "list") and option.choices:
        raise fail(
            f"{label} has choices but is of type {option.type}; make it a choice",
            (*where, "choices"),
        )
    if option.default is None:
        return
    if option.type == "list":
        problem = _list_problem(option.choices, option.default)
    elif option.type == "choice":
        problem = _choice_problem(option.choices, option.default)
    else:
        problem = _type_problem(option.type, option.default)
    if problem is None and option.type == "ports":
        problem = _literal_ports_problem(str(option.default))
    if problem is not None:
        raise fail(f"{label}: the default {option.default!r} {problem}", (*where, "default"))


def _literal_ports_problem(text: str) -> str | None:
    try:
        expression = portspec.parse(text)
        if not expression.is_constant:
            return "must be literal ports"
        portspec.evaluate(expression)
    except PortExpressionError as exc:
        return f"is not a port list ({exc})"
    return None


def _check_param(label: str, spec: ParamSpec, fail: Fail, where: Where) -> None:
    if spec.type in ("choice", "list") and not spec.choices:
        raise fail(f"{label} is a {spec.type} with no choices", (*where, "type"))
    if spec.unset_means_all and spec.type != "list":
        raise fail(f"{label} has unset_means_all but is of type {spec.type}", where)
    if spec.type not in ("choice", "list") and spec.choices:
        raise fail(
            f"{label} has choices but is of type {spec.type}; make it a choice", (*where, "choices")
        )
    if spec.type != "int" and (spec.min is not None or spec.max is not None):
        raise fail(f"{label} has min/max but is of type {spec.type}", where)
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        raise fail(f"{label}: min {spec.min} is above max {spec.max}", (*where, "min"))
    if spec.default is None:
        return
    problem = (
        _list_problem(spec.choices, spec.default)
        if spec.type == "list"
        else _value_problem(spec, spec.default)
    )
    if problem is not None:
        raise fail(f"{label}: the default {spec.default!r} {problem}", (*where, "default"))


def _value_problem(spec: ParamSpec, value: Any) -> str | None:
    """Why a parameter of ``spec`` can never be ``value``, or None (as an inventory checks it).

    For a ``list`` parameter, ``value`` is one item a selector asks the list to contain.
    """
    if spec.type in ("choice", "list"):
        return _choice_problem(spec.choices, value)
    if spec.type == "str":
        return (
            None if isinstance(value, str | int) and not isinstance(value, bool) else "must be text"
        )
    problem = _type_problem(spec.type, value)
    if problem is None and spec.type == "int":
        low = spec.min if spec.min is not None else value
        high = spec.max if spec.max is not None else value
        if not low <= value <= high:
            return f"is outside {spec.min}-{spec.max}"
    return problem


# --------------------------------------------------------------------------- entries


class _EntryCheck:
    """Every reference inside one entry, checked against the catalog's declarations."""

    def __init__(self, catalog: Catalog, entry: CatalogEntry, where: Where, fail: Fail):
        self.catalog = catalog
        self.entry = entry
        self.where = where
        self._fail = fail

    def fail(self, message: str, *path: str | int) -> CatalogError:
        return self._fail(f"{self.entry.id}: {message}", (*self.where, *path))

    def params(self, role: str) -> Mapping[str, ParamSpec]:
        return self.catalog.roles[role].params  # declared: the catalog checked that first

    def run(self) -> None:
        entry = self.entry
        own = self.params(entry.role.role)
        self.where_values(entry.role.role, entry.role.where, "role")
        for index, peer in enumerate(entry.peers):
            self.where_values(peer.role, peer.where, "peers", index)
            self.peer_keys(own, index)
            self.conditions(peer.when, "peers", index, "when")
        self.conditions(entry.when, "when")
        for index, item in enumerate(entry.ports):
            self.conditions(item.when, "ports", index, "when")
            self.formula(item, index)

    def where_values(self, role: str, where: Mapping[str, Any], *path: str | int) -> None:
        params = self.params(role)
        for key, value in where.items():
            problem = _value_problem(params[key], value)
            if problem is not None:
                raise self.fail(
                    f"role {role!r} parameter {key!r} {problem}, so where: {key}: {value!r} "
                    "selects nothing",
                    *path,
                    "where",
                )

    def peer_keys(self, own: Mapping[str, ParamSpec], index: int) -> None:
        peer = self.entry.peers[index]
        theirs = self.params(peer.role)
        for field_name, keys in (("same", peer.same), ("other", peer.other)):
            for key in keys:
                for role, params in ((self.entry.role.role, own), (peer.role, theirs)):
                    if key not in params:
                        raise self.fail(
                            f"{field_name}: {key!r} is never compared: role {role!r} declares "
                            f"no parameter {key!r} (it has {', '.join(params) or 'none'})",
                            "peers",
                            index,
                            field_name,
                        )
        both = set(peer.same) & set(peer.other)
        if both:
            raise self.fail(
                f"{', '.join(sorted(both))} is in both same and other; no peer can match",
                "peers",
                index,
            )

    def conditions(self, when: Mapping[str, Any], *path: str | int) -> None:
        for key, wanted in when.items():
            option = self.catalog.options[key]
            for value in wanted if isinstance(wanted, list) else [wanted]:
                problem = (
                    _choice_problem(option.choices, value)
                    if option.type in ("choice", "list")
                    else _type_problem(option.type, value)
                )
                if problem is not None:
                    raise self.fail(
                        f"condition {key}: {value!r} can never hold: option {key!r} {problem}",
                        *path,
                    )

    def formula(self, item: PortItem, index: int) -> None:
        """The item's ports with the packs' defaults, at every instance its role allows."""
        expression = self.catalog.expression(item.ports)  # parsed once already
        for name in sorted(expression.variables - portspec.INSTANCE_ALIASES):
            if self.catalog.options[name].type == "list":
                raise self.fail(
                    f"port expression uses {name!r}, a list option, which is no number",
                    "ports",
                    index,
                    "ports",
                )
        self.override(item, index)
        defaults = _defaults(self.catalog)
        if not expression.variables - portspec.INSTANCE_ALIASES <= defaults.keys():
            return  # needs an option only an inventory gives
        roles = (
            [self.entry.role.role]
            if item.at is PortsAt.SELF
            else [p.role for p in self.entry.peers]
        )
        for role in roles:
            for env in _environments(self.params(role), expression, defaults):
                try:
                    portspec.evaluate(expression, env)
                except PortExpressionError as exc:
                    shown = f" at instance {env['instance']}" if "instance" in env else ""
                    raise self.fail(
                        f"{exc}{shown} with the packs' own defaults (role {role!r})",
                        "ports",
                        index,
                        "ports",
                    ) from exc

    def override(self, item: PortItem, index: int) -> None:
        if item.override is None:
            return
        option = self.catalog.options.get(item.override)
        if option is None or option.type != "int":
            kind = "not declared" if option is None else f"of type {option.type}"
            raise self.fail(
                f"override {item.override!r} must be an int option; it is {kind}",
                "ports",
                index,
                "override",
            )


def _defaults(catalog: Catalog) -> dict[str, portspec.Value]:
    return {
        name: option.default
        for name, option in catalog.options.items()
        if option.default is not None and not isinstance(option.default, list | tuple)
    }


def _environments(
    params: Mapping[str, ParamSpec],
    expression: portspec.PortExpression,
    defaults: Mapping[str, portspec.Value],
) -> Iterator[dict[str, portspec.Value]]:
    """Option defaults, plus each instance the role allows when the formula uses one."""
    if not expression.variables & portspec.INSTANCE_ALIASES:
        yield dict(defaults)
        return
    spec = params.get("instance")
    if spec is None or spec.type != "int":
        return  # catalog._check_entry reports an instance formula on a role without one
    low = spec.min if spec.min is not None else spec.default
    high = spec.max if spec.max is not None else spec.default
    if not isinstance(low, int) or not isinstance(high, int):
        return  # no bound: only an inventory's instance decides
    span = range(low, high + 1) if high - low < INSTANCES_TRIED else (low, high)
    for instance in span:
        yield {**defaults, "instance": instance}
