"""Inventories: the user's hosts, the roles they hold and the deployment's options.

Loading does every check that needs only the inventory and the catalog (names, addresses, role
parameters, options), so resolution can assume a well-formed deployment. Each complaint points at
the inventory line that causes it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portmatrix import portspec
from portmatrix.catalog import Catalog
from portmatrix.errors import InventoryError, PortExpressionError
from portmatrix.model import (
    Host,
    HostFirewall,
    Inventory,
    OptionSpec,
    OptionValue,
    ParamSpec,
    RoleAssignment,
    ScalarValue,
)
from portmatrix.site import SiteRules, check_site_rules
from portmatrix.suggest import close_matches, hint, unknown
from portmatrix.yamlio import LineMap, load_yaml, validate_document

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True, eq=False)
class BoundRole:
    """A role on a host with every parameter filled in (defaults applied).

    Compared by identity: two assignments of the same role on one host (two instances) are
    different roles for conflict checks even when their parameters happen to be equal.
    """

    role: str
    params: dict[str, OptionValue]
    serves: tuple[str, ...] = ()
    index: int = 0  # position in the host's role list, for error lines
    served: frozenset[str] = frozenset()  # ``serves`` as a set: asked once per peer per owner
    assumed: tuple[str, ...] = ()  # list parameters left out and taken as every choice

    def __post_init__(self) -> None:
        if self.serves and not self.served:
            object.__setattr__(self, "served", frozenset(self.serves))

    def describe(self) -> str:
        shown = ", ".join(
            f"{key}={'[' + ', '.join(value) + ']' if isinstance(value, tuple) else value}"
            for key, value in sorted(self.params.items())
        )
        return f"{self.role}({shown})" if shown else self.role


@dataclass(frozen=True, slots=True)
class DeployedHost:
    """A validated host. ``network`` is its main address: ``address:``, or else the first
    network under ``addresses:``; flows that name no network use it."""

    name: str
    network: IPNetwork
    roles: tuple[BoundRole, ...]
    site: str | None
    zone: str | None
    index: int  # position in the inventory's host list
    address: str = ""  # canonical CIDR text of ``network``, computed once: every flow carries it
    probe_address: str | None = None  # where probes go to and from a network (see verify.plan)
    networks: dict[str, IPNetwork] = field(default_factory=dict)  # ``addresses:`` by network
    fallback: bool = True  # ``address:`` was written: it serves every network not named
    interfaces: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # ``networks`` as CIDR text, made once

    def __post_init__(self) -> None:
        if not self.address:
            object.__setattr__(self, "address", str(self.network))
        if self.networks and not self.texts:
            texts = {name: str(net) for name, net in self.networks.items()}
            object.__setattr__(self, "texts", texts)

    def address_on(self, network: str | None) -> str | None:
        """The address traffic on ``network`` travels to and from; None when there is none."""
        if network is None:
            return self.address
        own = self.texts.get(network)
        if own is not None:
            return own
        return self.address if self.fallback else None

    def all_networks(self) -> list[IPNetwork]:
        """Every address of the host, the main one first, without repeats."""
        return list(dict.fromkeys((self.network, *self.networks.values())))


@dataclass
class Deployment:
    """A validated inventory, ready for resolution."""

    name: str
    file: str
    hosts: list[DeployedHost]
    options: dict[str, OptionValue]
    zones: dict[str, tuple[str, ...]]
    lines: LineMap
    host_firewall: HostFirewall = field(default_factory=HostFirewall)
    #: zone -> the (host, address) pairs inside it (``host@private`` holds one address).
    zone_ends: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    site: SiteRules = field(default_factory=SiteRules)  # exclude:, override:, bind:

    def host(self, name: str) -> DeployedHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise unknown("host", name, [host.name for host in self.hosts], where=self.file)

    def line_of(self, host: DeployedHost, *path: str | int) -> int | None:
        return self.lines.line(("hosts", host.index, *path))


def _address_key(host: DeployedHost, network: IPNetwork) -> tuple[str, ...]:
    """Where in the host's entry ``network`` is written: its ``address:`` or one network."""
    if host.fallback and network == host.network:
        return ("address",)
    named = [name for name, own in host.networks.items() if own == network]
    return ("addresses", named[0]) if named else ("address",)


def has_value(actual: OptionValue | None, wanted: ScalarValue) -> bool:
    """A scalar equals ``wanted``; a list (PIMs, remote-access tools) contains it."""
    if isinstance(actual, tuple):
        return str(wanted) in actual
    return str(actual) == str(wanted)


def unmet(
    when: dict[str, ScalarValue | list[ScalarValue]], options: dict[str, OptionValue]
) -> str | None:
    """Why ``options`` fail the condition ``when`` (a row's, a port item's or a peer's), or None."""
    for key, wanted in when.items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        actual = options.get(key)
        if isinstance(actual, tuple):
            if not any(str(value) in actual for value in allowed):
                shown = " or ".join(str(value) for value in allowed)
                return f"{key} is [{', '.join(actual)}], needs {shown}"
        elif not any(_same_scalar(actual, value) for value in allowed):
            shown = " or ".join(str(value) for value in allowed)
            return f"{key} is {actual}, needs {shown}"
    return None


def _same_scalar(actual: ScalarValue | None, wanted: ScalarValue) -> bool:
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted or (actual is None and wanted is False)
    return str(actual) == str(wanted)


def _broadcast(network: IPNetwork) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    return network.broadcast_address if network.version == 4 else None


def _suggest(word: str, candidates: list[str]) -> str:
    """``"; did you mean ..."`` for a name in a file (the error carries the file and line)."""
    return hint(close_matches(word, candidates))


def load_inventory(path: str | Path, catalog: Catalog) -> Deployment:
    data, lines = load_yaml(path, error=InventoryError)
    return build_deployment(data, catalog, file=str(path), lines=lines)


def build_deployment(data: Any, catalog: Catalog, *, file: str, lines: LineMap) -> Deployment:
    inventory = validate_document(
        Inventory,
        data,
        file=file,
        lines=lines,
        error=InventoryError,
        expects="an inventory must be a mapping with 'name' and 'hosts'",
    )
    checker = _Checker(catalog, file, lines)
    options = checker.options(inventory.options)
    hosts = [checker.host(host, index) for index, host in enumerate(inventory.hosts)]
    checker.unique(hosts)
    zones, zone_ends = checker.zones(inventory, hosts)
    site = check_site_rules(
        exclude=inventory.exclude,
        override=inventory.override,
        bind=inventory.bind,
        catalog=catalog,
        hosts={host.name: [role.role for role in host.roles] for host in hosts},
        fail=checker.fail,
    )
    return Deployment(
        inventory.name,
        file,
        hosts,
        options,
        zones,
        lines,
        host_firewall=inventory.host_firewall,
        zone_ends=zone_ends,
        site=site,
    )


class _Checker:
    def __init__(self, catalog: Catalog, file: str, lines: LineMap):
        self.catalog = catalog
        self.file = file
        self.lines = lines

    def fail(self, message: str, *path: str | int) -> InventoryError:
        return InventoryError(message, file=self.file, line=self.lines.line(path))

    def options(self, given: dict[str, OptionValue]) -> dict[str, OptionValue]:
        merged: dict[str, OptionValue] = {
            key: tuple(spec.default) if isinstance(spec.default, list | tuple) else spec.default
            for key, spec in self.catalog.options.items()
            if spec.default is not None
        }
        for key, value in given.items():
            spec = self.catalog.options.get(key)
            if spec is None:
                known = list(self.catalog.options)
                raise self.fail(f"unknown option {key!r}{_suggest(key, known)}", "options", key)
            merged[key] = self.option_value(key, value, spec)
        return merged

    def option_value(self, key: str, value: OptionValue, spec: OptionSpec) -> OptionValue:
        where = ("options", key)
        if spec.type == "list":
            return self.list_value(f"option {key!r}", value, spec.choices, where)
        if isinstance(value, tuple):
            raise self.fail(f"option {key!r} takes one value, not a list", *where)
        if spec.type == "bool" and not isinstance(value, bool):
            raise self.fail(f"option {key!r} must be true or false", *where)
        if spec.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(f"option {key!r} must be a whole number", *where)
        if spec.type == "choice":
            choices = [str(choice) for choice in spec.choices]
            if str(value) not in choices:
                raise self.fail(f"option {key!r} must be one of {', '.join(choices)}", *where)
            return str(value)
        if spec.type == "ports":
            try:
                expression = portspec.parse(str(value))
                if not expression.is_constant:
                    raise PortExpressionError("a port list option must be literal ports")
                portspec.evaluate(expression)
            except PortExpressionError as exc:
                raise self.fail(f"option {key!r}: {exc}", *where) from exc
            return str(value)
        return value

    def list_value(
        self,
        label: str,
        value: Any,
        choices: tuple[ScalarValue, ...],
        where: tuple[str | int, ...],
    ) -> tuple[str, ...]:
        """A list of choices, each known, in the order given, without repeats."""
        if not isinstance(value, list | tuple):
            raise self.fail(
                f"{label} must be a list, e.g. [{choices[0] if choices else ''}]", *where
            )
        allowed = [str(choice) for choice in choices]
        for item in value:
            if str(item) not in allowed:
                hint = _suggest(str(item), allowed)
                raise self.fail(
                    f"{label}: {item!r} is not one of {', '.join(allowed)}{hint}", *where
                )
        return tuple(dict.fromkeys(str(item) for item in value))

    def host(self, host: Host, index: int) -> DeployedHost:
        networks = {
            name: self.address(host, text, index, "addresses", name)
            for name, text in host.addresses.items()
        }
        if host.address is not None:
            network = self.address(host, host.address, index, "address")
        elif networks:
            network = next(iter(networks.values()))
        else:
            raise self.fail(
                f"host {host.name!r} has no address: give address: or addresses:", "hosts", index
            )
        for name in host.interfaces:
            if name not in networks and host.address is None:
                raise self.fail(
                    f"host {host.name!r}: interface for network {name!r}, which the host has no "
                    "address on",
                    "hosts",
                    index,
                    "interfaces",
                    name,
                )
        roles = tuple(
            self.role(host, assignment, index, i) for i, assignment in enumerate(host.roles)
        )
        probe = self.probe_address(host, network, index)
        return DeployedHost(
            host.name,
            network,
            roles,
            host.site,
            host.zone,
            index,
            probe_address=probe,
            networks=networks,
            fallback=host.address is not None,
            interfaces=dict(host.interfaces),
        )

    def address(self, host: Host, text: str, index: int, *where: str) -> IPNetwork:
        try:
            return ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise self.fail(
                f"host {host.name!r}: {text!r} is not an IP address or network ({exc})",
                "hosts",
                index,
                *where,
            ) from exc

    def probe_address(self, host: Host, network: IPNetwork, index: int) -> str | None:
        """The written probe address, inside the host's network and usable as a host."""
        if host.probe_address is None:
            return None
        where = ("hosts", index, "probe_address")
        try:
            address = ipaddress.ip_address(host.probe_address)
        except ValueError:
            raise self.fail(
                f"host {host.name!r}: probe_address {host.probe_address!r} is not an IP address",
                *where,
            ) from None
        if address.version != network.version or address not in network:
            raise self.fail(
                f"host {host.name!r}: probe_address {address} is not inside {network}", *where
            )
        if network.num_addresses > 2 and address in (network.network_address, _broadcast(network)):
            raise self.fail(
                f"host {host.name!r}: probe_address {address} is the network's own "
                f"{'network' if address == network.network_address else 'broadcast'} address, "
                "not a host's",
                *where,
            )
        return str(address)

    def role(
        self, host: Host, assignment: RoleAssignment, host_index: int, index: int
    ) -> BoundRole:
        where = ("hosts", host_index, "roles", index)
        spec = self.catalog.roles.get(assignment.role)
        if spec is None:
            hint = _suggest(assignment.role, list(self.catalog.roles))
            raise self.fail(f"host {host.name!r}: unknown role {assignment.role!r}{hint}", *where)
        params: dict[str, OptionValue] = {}
        assumed: list[str] = []
        for key, value in assignment.params.items():
            pspec = spec.params.get(key)
            if pspec is None:
                allowed = ", ".join(spec.params) or "no parameters"
                raise self.fail(
                    f"host {host.name!r}: role {assignment.role} has no parameter {key!r} (it takes {allowed})",
                    *where,
                    key,
                )
            params[key] = self.param_value(
                host.name, assignment.role, key, value, pspec, (*where, key)
            )
        for key, pspec in spec.params.items():
            if key in params:
                continue
            if pspec.required:
                raise self.fail(f"host {host.name!r}: role {assignment.role} needs {key!r}", *where)
            if pspec.default is not None:
                params[key] = (
                    tuple(pspec.default)
                    if isinstance(pspec.default, list | tuple)
                    else pspec.default
                )
            elif pspec.type == "list" and pspec.unset_means_all:
                params[key] = tuple(str(choice) for choice in pspec.choices)
                assumed.append(key)
        return BoundRole(
            assignment.role, params, tuple(assignment.serves), index, assumed=tuple(assumed)
        )

    def param_value(
        self,
        host: str,
        role: str,
        key: str,
        value: Any,
        spec: ParamSpec,
        where: tuple[str | int, ...],
    ) -> OptionValue:
        label = f"host {host!r}: {role} {key}"
        if spec.type == "list":
            return self.list_value(label, value, spec.choices, where)
        if spec.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(f"{label} must be a whole number, not {value!r}", *where)
            if (spec.min is not None and value < spec.min) or (
                spec.max is not None and value > spec.max
            ):
                raise self.fail(f"{label} {value} is outside {spec.min}-{spec.max}", *where)
            return int(value)
        if spec.type == "bool":
            if not isinstance(value, bool):
                raise self.fail(f"{label} must be true or false", *where)
            return value
        if spec.type == "choice":
            for choice in spec.choices:
                if str(choice) == str(value):
                    return choice
            allowed = ", ".join(str(choice) for choice in spec.choices)
            raise self.fail(f"{label} must be one of {allowed}, not {value!r}", *where)
        if not isinstance(value, str | int):
            raise self.fail(f"{label} must be text", *where)
        return str(value)

    def unique(self, hosts: list[DeployedHost]) -> None:
        names: dict[str, DeployedHost] = {}
        addresses: dict[IPNetwork, DeployedHost] = {}
        for host in hosts:
            if host.name in names:
                raise self.fail(
                    f"host name {host.name!r} is used twice", "hosts", host.index, "name"
                )
            names[host.name] = host
            for network in host.all_networks():
                if network in addresses:
                    other = addresses[network]
                    raise self.fail(
                        f"host {host.name!r} has the same address {network} as {other.name!r}",
                        "hosts",
                        host.index,
                        *_address_key(host, network),
                    )
                addresses[network] = host

    def zones(
        self, inventory: Inventory, hosts: list[DeployedHost]
    ) -> tuple[dict[str, tuple[str, ...]], dict[str, frozenset[tuple[str, str]]]]:
        """Zone -> member host names, and zone -> the (host, address) pairs inside it.

        A host named bare (or by its ``zone:``) is in the zone on every address; ``host@net``
        only on its address on network ``net``; a CIDR holds each host address inside it.
        """
        ends: dict[str, list[tuple[str, str]]] = {}
        by_name = {host.name: host for host in hosts}
        for host in hosts:
            if host.zone:
                ends.setdefault(host.zone, []).extend(_every_address(host))
        for zone, entries in inventory.zones.items():
            bucket = ends.setdefault(zone, [])
            for position, entry in enumerate(entries):
                bucket.extend(self.zone_member(zone, entry, by_name, hosts, position))
        members = {
            zone: tuple(dict.fromkeys(name for name, _ in pairs)) for zone, pairs in ends.items()
        }
        return members, {zone: frozenset(pairs) for zone, pairs in ends.items()}

    def zone_member(
        self,
        zone: str,
        entry: str,
        by_name: dict[str, DeployedHost],
        hosts: list[DeployedHost],
        position: int,
    ) -> list[tuple[str, str]]:
        where = ("zones", zone, position)
        if entry in by_name:
            return _every_address(by_name[entry])
        name, at, network_name = entry.partition("@")
        if at and name in by_name:
            address = by_name[name].address_on(network_name)
            if address is None:
                known = list(by_name[name].networks)
                raise self.fail(
                    f"zone {zone!r}: host {name!r} has no address on network "
                    f"{network_name!r}{_suggest(network_name, known)}",
                    *where,
                )
            return [(name, address)]
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            hint = _suggest(name, list(by_name))
            raise self.fail(
                f"zone {zone!r}: {entry!r} is neither a host name nor a network "
                f"(nor host@network){hint}",
                *where,
            ) from None
        return [
            (host.name, str(own))
            for host in hosts
            for own in host.all_networks()
            if own.version == network.version and own.subnet_of(network)  # type: ignore[arg-type]
        ]


def _every_address(host: DeployedHost) -> list[tuple[str, str]]:
    return [(host.name, str(network)) for network in host.all_networks()]
