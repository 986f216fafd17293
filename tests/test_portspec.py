"""Port expressions: parsing, printing and evaluation (reverse look-ups: test_catalog.py)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portmatrix import portspec
from portmatrix.errors import PortExpressionError

CASES = [
    ("443", {}, [(443, 443)]),
    ("143, 993, 7993", {}, [(143, 143), (993, 993), (7993, 7993)]),
    ("21000-21512", {}, [(21000, 21512)]),
    ("21000 ~ 21512", {}, [(21000, 21512)]),
    ("16384～21511", {}, [(16384, 21511)]),
    ("40007 + instance * 40", {"instance": 0}, [(40007, 40007)]),
    ("40007 + instance * 40", {"instance": 2}, [(40087, 40087)]),
    ("40007 + (instance × 40)", {"instance": 1}, [(40047, 40047)]),
    ("38001 + instNum", {"instance": 3}, [(38004, 38004)]),
    (
        "base + instance * 2000 .. base + instance * 2000 + 1999",
        {"instance": 1, "base": 10000},
        [(12000, 13999)],
    ),
    ("sip", {"sip": "5060-5100"}, [(5060, 5100)]),
    ("80, 81, 82", {}, [(80, 82)]),
    ("2 * (3 + 4)", {}, [(14, 14)]),
    ("(100 - 1)", {}, [(99, 99)]),
    ("7 * 10 - 1", {}, [(69, 69)]),
]


@pytest.mark.parametrize(("text", "env", "expected"), CASES)
def test_evaluate(text: str, env: dict[str, int | str], expected: list[tuple[int, int]]) -> None:
    assert portspec.evaluate(portspec.parse(text), env) == expected


BAD = [
    ("", "empty"),
    ("40007 +", "unexpected end"),
    ("40007 + * 3", "unexpected '\\*'"),
    ("(1 + 2", "missing"),
    ("1 + 2)", "unbalanced"),
    ("__import__('os')", "unexpected"),
    ("1; 2", "unexpected character"),
    ("70000", "outside 1-65535"),
    ("0", "outside 1-65535"),
    ("500-400", "empty range"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_expressions(text: str, message: str) -> None:
    with pytest.raises(PortExpressionError, match=message):
        portspec.evaluate(portspec.parse(text), {})


def test_missing_variable_names_the_option() -> None:
    spec = portspec.parse("RTPPortRangeStart + instance * 2000")
    with pytest.raises(PortExpressionError, match="RTPPortRangeStart"):
        portspec.evaluate(spec, {"instance": 0})
    with pytest.raises(PortExpressionError, match="instance"):
        portspec.evaluate(spec, {"RTPPortRangeStart": 1000})


def test_variables_and_constant() -> None:
    spec = portspec.parse("acme + instance * 40, 80")
    assert spec.variables == {"acme", "instance"}
    assert not spec.is_constant
    assert portspec.parse("80, 443").is_constant


def test_never_evaluates_python() -> None:
    # A formula is data: anything but integers, names and + - * ( ) is refused at parse time.
    for text in ("1 if 1 else 2", "[1]", "1 ** 2", "a.b", "'x'"):
        with pytest.raises(PortExpressionError):
            portspec.parse(text)


# ------------------------------------------------------------------ properties

names = st.sampled_from(["instance", "base", "RTPPortRangeStart"])
leaves = st.one_of(st.integers(0, 70000).map(portspec.Num), names.map(portspec.Var))
exprs = st.recursive(
    leaves,
    lambda inner: st.builds(portspec.BinOp, st.sampled_from(["+", "-", "*"]), inner, inner),
    max_leaves=6,
)
items = st.builds(portspec.Item, exprs, st.one_of(st.none(), exprs))


@given(st.lists(items, min_size=1, max_size=4))
def test_print_then_parse_is_identity(parts: list[portspec.Item]) -> None:
    spec = portspec.PortExpression(tuple(parts), "")
    again = portspec.parse(portspec.format_spec(spec))
    assert again.items == spec.items


@given(st.lists(st.tuples(st.integers(1, 1000), st.integers(0, 50)), max_size=12))
def test_merge_ranges_covers_exactly_the_same_ports(raw: list[tuple[int, int]]) -> None:
    ranges = [(lo, lo + width) for lo, width in raw]
    merged = portspec.merge_ranges(ranges)
    covered = {p for lo, hi in ranges for p in range(lo, hi + 1)}
    assert {p for lo, hi in merged for p in range(lo, hi + 1)} == covered
    assert all(b[0] > a[1] + 1 for a, b in itertools.pairwise(merged))


# ------------------------------------------------------------------ bounded parsing

HOSTILE = [
    ("1+" * 3000 + "1", "longer than the 1,000 allowed"),
    ("(" * 3000 + "1" + ")" * 3000, "longer than the 1,000 allowed"),
    ("(" * 400 + "1" + ")" * 400, "more than 16 nested parentheses"),
    ("+".join(["instance"] * 65), "more than 64 terms"),
    ("9" * 5000, "longer than"),
    ("1234567890", "is too large"),
    ("1234567890-1234567891", "is too large"),
    ("٣", "unexpected character"),  # a non-ASCII digit is not a digit here
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_hostile_expressions_are_clean_errors(text: str, message: str) -> None:
    with pytest.raises(PortExpressionError, match=message):
        portspec.parse(text)


def test_within_the_limits_deep_and_long_expressions_work() -> None:
    nested = "(" * 16 + "40000 + instance" + ")" * 16
    assert portspec.evaluate(portspec.parse(nested), {"instance": 7}) == [(40007, 40007)]
    long = " + ".join(["1"] * 64)
    assert portspec.evaluate(portspec.parse(long)) == [(64, 64)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-*() ,.instace~", max_size=60))
def test_any_text_parses_or_is_a_port_expression_error(text: str) -> None:
    try:
        spec = portspec.parse(text)
        portspec.evaluate(spec, {"instance": 3})
    except PortExpressionError:
        pass
