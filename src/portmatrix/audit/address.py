"""Addresses as the audit stores them: a family and two signed 64-bit halves.

Flow logs mix IPv4 and IPv6, and the engines have no common 128-bit integer (Spark has none,
DuckDB cannot write one to Parquet), so an address is ``(family, hi, lo)``: ``family`` is 4 or 6;
an IPv6 address is its 128-bit value split into halves; an IPv4 address has ``hi = 0`` and
``lo`` its 32-bit value, so the Parquet files stay readable. Halves are stored as signed
BIGINTs (two's complement of the unsigned half): every prefix of length 1 or more is then a
contiguous signed range, and a prefix of length 0 is the whole range, so a network is always
one box ``hi in [a, b] and lo in [c, d]``. The family always takes part in comparisons, so no
IPv6 prefix ever covers an IPv4 address.

An IPv4-mapped IPv6 address (``::ffff:10.0.0.1``, how dual-stack sockets log IPv4 peers) is
read as the IPv4 address it maps. :func:`line_value` gives the project's one-line integer
(IPv4 at ``2**128 + v4``) for code that compares addresses in Python.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_MASK64 = (1 << 64) - 1
_V4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_V4_MAPPED_NET = ipaddress.IPv6Network("::ffff:0:0/96")
MIN_HALF = -(1 << 63)
MAX_HALF = (1 << 63) - 1


def signed(half: int) -> int:
    """An unsigned 64-bit half as the signed BIGINT the tables hold."""
    return half - (1 << 64) if half >= 1 << 63 else half


def unsigned(half: int) -> int:
    return half & _MASK64


@dataclass(frozen=True, slots=True, order=True)
class Address:
    family: int
    hi: int
    lo: int

    @classmethod
    def parse(cls, text: str) -> Address:
        """An address from its text; ValueError when it is none."""
        value = ipaddress.ip_address(text.split("%", 1)[0])
        return cls.of(value)

    @classmethod
    def of(cls, value: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Address:
        if isinstance(value, ipaddress.IPv6Address) and value in _V4_MAPPED:
            value = ipaddress.IPv4Address(int(value) & 0xFFFFFFFF)
        if value.version == 4:
            return cls(4, 0, int(value))
        number = int(value)
        return cls(6, signed(number >> 64), signed(number & _MASK64))

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        if self.family == 4:
            return ipaddress.IPv4Address(self.lo)
        return ipaddress.IPv6Address((unsigned(self.hi) << 64) | unsigned(self.lo))

    def __str__(self) -> str:
        return str(self.ip)


def line_value(address: Address) -> int:
    """The project's one-line integer: IPv6 as itself, IPv4 at ``2**128 + v4``."""
    return (1 << 128) + address.lo if address.family == 4 else int(address.ip)


@dataclass(frozen=True, slots=True)
class Box:
    """A network as ranges of the two halves (inclusive), within one family."""

    family: int
    hi_min: int
    hi_max: int
    lo_min: int
    lo_max: int

    @classmethod
    def of(cls, network: str) -> Box:
        net = ipaddress.ip_network(network, strict=False)
        if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_V4_MAPPED_NET):
            net = ipaddress.IPv4Network((int(net.network_address) & 0xFFFFFFFF, net.prefixlen - 96))
        if net.version == 4:
            first, last = int(net.network_address), int(net.broadcast_address)
            return cls(4, 0, 0, first, last)
        first, last = int(net.network_address), int(net.broadcast_address)
        hi_first, hi_last = first >> 64, last >> 64
        if hi_first != hi_last:  # a prefix of /64 or shorter: every low half
            return cls(6, signed(hi_first), signed(hi_last), MIN_HALF, MAX_HALF)
        return cls(
            6, signed(hi_first), signed(hi_last), signed(first & _MASK64), signed(last & _MASK64)
        )

    @property
    def size(self) -> int:
        if self.family == 4:
            return self.lo_max - self.lo_min + 1
        return (self.hi_max - self.hi_min + 1) * (self.lo_max - self.lo_min + 1)

    def contains(self, address: Address) -> bool:
        return (
            address.family == self.family
            and self.hi_min <= address.hi <= self.hi_max
            and self.lo_min <= address.lo <= self.lo_max
        )


# Address text -> (family, hi, lo) inside a DuckDB query, so delimited logs never pass through
# Python. Each step is its own SELECT layer over the previous one (see :func:`parse_layers`):
# nested macros would repeat every sub-expression and make DuckDB's planner crawl. An address
# that does not parse gives NULL and the row is reported.
_V4_RE = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){{3}}"
DUCKDB_MACROS = r"""
CREATE OR REPLACE TEMP MACRO pm_v4(s) AS (
  CASE WHEN regexp_full_match(s, '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}')
  THEN (split_part(s, '.', 1)::BIGINT << 24) + (split_part(s, '.', 2)::BIGINT << 16)
     + (split_part(s, '.', 3)::BIGINT << 8) + split_part(s, '.', 4)::BIGINT END
);
CREATE OR REPLACE TEMP MACRO pm_groups(s) AS (
  CASE WHEN s = '' THEN []::VARCHAR[] ELSE string_split(s, ':') END
);
CREATE OR REPLACE TEMP MACRO pm_hex(g) AS (('0x' || g)::HUGEINT);
CREATE OR REPLACE TEMP MACRO pm_cite(s) AS (
  regexp_replace(CASE WHEN length(s) > 60 THEN left(s, 57) || '...' ELSE s END,
                 '[\x00-\x1f\x7f]', '?', 'g')
);
CREATE OR REPLACE TEMP MACRO pm_signed(h) AS (
  (CASE WHEN h >= 9223372036854775808 THEN h - 18446744073709551616 ELSE h END)::BIGINT
);
"""

_STEPS = (
    # a plain dotted quad (nearly every address in a log) is converted at once, by splitting
    "regexp_full_match({x}, '" + _V4_RE + "') AS {p}q",
    "CASE WHEN {p}q THEN list_reduce(list_transform(string_split({x}, '.'), "
    "lambda o: o::BIGINT), lambda a, b: a * 256 + b) END AS {p}fast, "
    # otherwise the text, lower case, without a zone id
    "CASE WHEN NOT {p}q THEN lower(split_part(trim({x}), '%', 1)) END AS {p}t",
    # IPv4 value if it is one; IPv6 text with a trailing dotted quad turned into two groups
    "coalesce({p}fast, pm_v4({p}t)) AS {p}v4, CASE WHEN contains({p}t, ':') AND contains({p}t, '.') "
    "THEN regexp_replace({p}t, '[0-9.]+$', '') || printf('%x:%x', "
    "pm_v4(regexp_extract({p}t, '[0-9.]+$')) >> 16, pm_v4(regexp_extract({p}t, '[0-9.]+$')) & 65535) "
    "ELSE {p}t END AS {p}six",
    # the groups before and after '::'
    "CASE WHEN {p}v4 IS NULL AND regexp_full_match({p}six, '[0-9a-f:]+') "
    "AND {p}six NOT LIKE '%:::%' AND len(string_split({p}six, '::')) <= 2 "
    "THEN pm_groups(string_split({p}six, '::')[1]) END AS {p}head, "
    "CASE WHEN contains({p}six, '::') THEN pm_groups(string_split({p}six, '::')[2]) END AS {p}tail",
    # eight groups
    "CASE WHEN {p}tail IS NULL THEN {p}head WHEN len({p}head) + len({p}tail) <= 7 "
    "THEN list_concat({p}head, ['0' for x in range(8 - len({p}head) - len({p}tail))], {p}tail) "
    "END AS {p}g",
    # both halves as HUGEINT, when every group is 1-4 hex digits
    "CASE WHEN len({p}g) = 8 AND len(list_filter({p}g, lambda x: regexp_full_match(x, '[0-9a-f]{{1,4}}'))) = 8 "
    "THEN (pm_hex({p}g[1]) << 48) + (pm_hex({p}g[2]) << 32) + (pm_hex({p}g[3]) << 16) + pm_hex({p}g[4]) "
    "END AS {p}h1, CASE WHEN len({p}g) = 8 "
    "AND len(list_filter({p}g, lambda x: regexp_full_match(x, '[0-9a-f]{{1,4}}'))) = 8 "
    "THEN (pm_hex({p}g[5]) << 48) + (pm_hex({p}g[6]) << 32) + (pm_hex({p}g[7]) << 16) + pm_hex({p}g[8]) "
    "END AS {p}h2",
    # the struct; IPv4-mapped IPv6 is IPv4
    "CASE WHEN {p}v4 IS NOT NULL THEN {{'family': 4::TINYINT, 'hi': 0::BIGINT, 'lo': {p}v4}} "
    "WHEN {p}h1 = 0 AND {p}h2 >> 32 = 65535 "
    "THEN {{'family': 4::TINYINT, 'hi': 0::BIGINT, 'lo': ({p}h2 & 4294967295)::BIGINT}} "
    "WHEN {p}h1 IS NOT NULL AND {p}h2 IS NOT NULL "
    "THEN {{'family': 6::TINYINT, 'hi': pm_signed({p}h1), 'lo': pm_signed({p}h2)}} END AS {name}",
)


def parse_layers(source: str, addresses: dict[str, str]) -> str:
    """``source`` wrapped in SELECT layers that add, for each ``name: text expression``, a
    column ``name`` holding the parsed address struct (or NULL)."""
    relation = source
    for step in _STEPS:
        columns = ", ".join(
            step.format(x=text, p=f"pm_{name}_", name=name) for name, text in addresses.items()
        )
        relation = f"(SELECT *, {columns} FROM {relation})"
    return relation
