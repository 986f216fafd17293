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


# DuckDB macros that turn address text into (family, hi, lo) inside a query, so delimited
# logs never pass through Python. An unparseable address gives NULL and the row is reported.
DUCKDB_MACROS = r"""
CREATE OR REPLACE TEMP MACRO pm_v4(s) AS (
  CASE WHEN regexp_full_match(s, '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}')
  THEN (string_split(s, '.')[1]::BIGINT << 24) + (string_split(s, '.')[2]::BIGINT << 16)
     + (string_split(s, '.')[3]::BIGINT << 8) + string_split(s, '.')[4]::BIGINT END
);
CREATE OR REPLACE TEMP MACRO pm_v6_tail(s) AS (
  CASE WHEN contains(s, '.') THEN
    regexp_replace(s, '[0-9.]+$', '')
    || printf('%x:%x', pm_v4(regexp_extract(s, '[0-9.]+$')) >> 16, pm_v4(regexp_extract(s, '[0-9.]+$')) & 65535)
  ELSE s END
);
CREATE OR REPLACE TEMP MACRO pm_v6_groups(s) AS (
  CASE
    WHEN NOT regexp_full_match(s, '[0-9a-f:]+') OR s LIKE '%:::%' OR len(string_split(s, '::')) > 2 THEN NULL
    WHEN contains(s, '::') THEN list_concat(
      CASE WHEN string_split(s, '::')[1] = '' THEN [] ELSE string_split(string_split(s, '::')[1], ':') END,
      ['0' for x in range(8 - len(CASE WHEN string_split(s, '::')[1] = '' THEN [] ELSE string_split(string_split(s, '::')[1], ':') END)
                              - len(CASE WHEN string_split(s, '::')[2] = '' THEN [] ELSE string_split(string_split(s, '::')[2], ':') END))],
      CASE WHEN string_split(s, '::')[2] = '' THEN [] ELSE string_split(string_split(s, '::')[2], ':') END)
    ELSE string_split(s, ':')
  END
);
CREATE OR REPLACE TEMP MACRO pm_half(g, i) AS (
  (('0x' || g[i])::HUGEINT << 48) + (('0x' || g[i + 1])::HUGEINT << 32)
  + (('0x' || g[i + 2])::HUGEINT << 16) + ('0x' || g[i + 3])::HUGEINT
);
CREATE OR REPLACE TEMP MACRO pm_signed(h) AS (
  (CASE WHEN h >= 9223372036854775808 THEN h - 18446744073709551616 ELSE h END)::BIGINT
);
CREATE OR REPLACE TEMP MACRO pm_v6_ok(g) AS (
  g IS NOT NULL AND len(g) = 8 AND len(list_filter(g, lambda x: regexp_full_match(x, '[0-9a-f]{1,4}'))) = 8
);
CREATE OR REPLACE TEMP MACRO pm_v6(g) AS (
  CASE WHEN pm_v6_ok(g) THEN
    CASE WHEN pm_half(g, 1) = 0 AND pm_half(g, 5) >> 32 = 65535
      THEN {'family': 4::TINYINT, 'hi': 0::BIGINT, 'lo': (pm_half(g, 5) & 4294967295)::BIGINT}
      ELSE {'family': 6::TINYINT, 'hi': pm_signed(pm_half(g, 1)), 'lo': pm_signed(pm_half(g, 5))} END
  END
);
CREATE OR REPLACE TEMP MACRO pm_addr(t) AS (
  CASE WHEN pm_v4(trim(t)) IS NOT NULL
    THEN {'family': 4::TINYINT, 'hi': 0::BIGINT, 'lo': pm_v4(trim(t))}
    WHEN contains(t, ':')
    THEN pm_v6(pm_v6_groups(pm_v6_tail(lower(split_part(trim(t), '%', 1)))))
  END
);
"""
