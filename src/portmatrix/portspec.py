"""Port expressions: the one place that understands ``40007 + instance * 40``.

Vendor tables mix single ports, lists, ranges and formulas whose values depend on the
deployment (instance number, registry-configured bases). The catalog stores them as text; this
module parses that text into a small AST and evaluates it against a deployment's variables. It
never calls ``eval``: the grammar is closed and tiny.

Grammar (whitespace is free)::

    spec   := item ("," item)*
    item   := INT "-" INT            literal range, as engineers write it: 21000-21512
                                      (so a subtraction of two literals needs parentheses)
            | expr [".." expr]        a single port, or a range whose ends are formulas
    expr   := term (("+" | "-") term)*
    term   := atom ("*" atom)*
    atom   := INT | NAME | "(" expr ")"

``×`` is read as ``*`` and ``~``/``～`` between two integers as a range, so text pasted from the
documents parses. An expression is at most :data:`MAX_TEXT` characters, each element at most
:data:`MAX_TERMS` terms and :data:`MAX_NESTING` levels of parentheses, each number at most
:data:`MAX_DIGITS` digits; past that it is refused, never parsed at unbounded cost (the parser
keeps no state on Python's call stack). A bare NAME as a whole item may name a deployment option whose value is itself
a literal port list (the administrator-assigned SIP ports); see :func:`evaluate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from portmatrix.errors import PortExpressionError

MIN_PORT = 1
MAX_PORT = 65535

#: Names that mean "the instance number" in the documents' formulas.
INSTANCE_ALIASES = frozenset({"instance", "instNum", "inst"})


@dataclass(frozen=True, slots=True)
class Num:
    value: int


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # one of "+", "-", "*"
    left: Expr
    right: Expr


Expr = Num | Var | BinOp


@dataclass(frozen=True, slots=True)
class Item:
    """One comma-separated element: a port (``hi is None``) or an inclusive range."""

    lo: Expr
    hi: Expr | None = None


@dataclass(frozen=True, slots=True)
class PortExpression:
    items: tuple[Item, ...]
    text: str

    def __str__(self) -> str:
        return format_spec(self)

    @property
    def variables(self) -> frozenset[str]:
        names: set[str] = set()
        for item in self.items:
            _collect_vars(item.lo, names)
            if item.hi is not None:
                _collect_vars(item.hi, names)
        return frozenset(names)

    @property
    def is_constant(self) -> bool:
        return not self.variables


_TOKEN = re.compile(r"\s*(?:([0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(\.\.)|([-+*(),]))")
_LITERAL_RANGE = re.compile(r"^\s*([0-9]+)\s*[-~～]\s*([0-9]+)\s*$")

#: Limits that keep a hostile formula from costing more than a friendly one (every bundled
#: formula is under 80 characters, 6 terms and 1 level of parentheses).
MAX_TEXT = 1000
MAX_TERMS = 64
MAX_NESTING = 16
MAX_DIGITS = 9

_PRECEDENCE = {"+": 1, "-": 1, "*": 2}


def _normalise(text: str) -> str:
    return text.replace("×", "*").replace("＊", "*").replace("＋", "+").replace("，", ",")


def _tokenise(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None or match.end() == pos:
            raise PortExpressionError(
                f"unexpected character {stripped[pos:].strip()[:1]!r} in port expression {text!r}"
            )
        tokens.append(next(group for group in match.groups() if group is not None))
        pos = match.end()
    return tokens


class _Parser:
    """Operator precedence by two stacks (Dijkstra's shunting yard), without recursion.

    A recursive-descent parser would overflow Python's stack on a few thousand nested
    parentheses; this one keeps its state in lists and stops at :data:`MAX_NESTING` levels
    and :data:`MAX_TERMS` terms with a :class:`PortExpressionError`.
    """

    def __init__(self, tokens: list[str], text: str):
        self.tokens = tokens
        self.pos = 0
        self.text = text

    def fail(self, what: str) -> PortExpressionError:
        return PortExpressionError(f"{what} in port expression {self.text!r}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail("unexpected end")
        self.pos += 1
        return token

    def expr(self) -> Expr:
        """One arithmetic expression, up to the first token that cannot continue it."""
        operands: list[Expr] = []
        operators: list[str] = []  # "+", "-", "*" or "(" for an open parenthesis
        terms = 0
        while True:  # expecting an operand
            token = self.take()
            if token == "(":
                operators.append(token)
                if operators.count("(") > MAX_NESTING:
                    raise self.fail(f"more than {MAX_NESTING} nested parentheses")
                continue
            operands.append(self.operand(token))
            terms += 1
            if terms > MAX_TERMS:
                raise self.fail(f"more than {MAX_TERMS} terms")
            while self.peek() == ")":  # closing parentheses, then an operator or the end
                self.take()
                self.reduce(operands, operators, until_paren=True)
            token_or_end = self.peek()
            if token_or_end not in _PRECEDENCE:
                break
            self.take()
            self.push(token_or_end, operands, operators)
        self.reduce(operands, operators, until_paren=False)
        return operands[0]

    def operand(self, token: str) -> Expr:
        if token[0] in "0123456789":
            if len(token) > MAX_DIGITS:
                raise self.fail(f"number {token[:12]}... is too large")
            return Num(int(token))
        if token[0].isalpha() or token[0] == "_":
            return Var(token)
        raise self.fail(f"unexpected {token!r}")

    def push(self, op: str, operands: list[Expr], operators: list[str]) -> None:
        while operators and operators[-1] != "(" and _PRECEDENCE[operators[-1]] >= _PRECEDENCE[op]:
            right, left = operands.pop(), operands.pop()
            operands.append(BinOp(operators.pop(), left, right))
        operators.append(op)

    def reduce(self, operands: list[Expr], operators: list[str], *, until_paren: bool) -> None:
        while operators and operators[-1] != "(":
            right, left = operands.pop(), operands.pop()
            operands.append(BinOp(operators.pop(), left, right))
        if until_paren:
            if not operators:
                raise self.fail("unbalanced ')'")
            operators.pop()
        elif operators:
            raise self.fail("missing ')'")


def _parse_item(text: str, whole: str) -> Item:
    literal = _LITERAL_RANGE.match(text)
    if literal:
        return Item(_literal(literal.group(1), whole), _literal(literal.group(2), whole))
    tokens = _tokenise(text)
    if not tokens:
        raise PortExpressionError(f"empty element in port expression {whole!r}")
    parser = _Parser(tokens, whole)
    lo = parser.expr()
    hi: Expr | None = None
    if parser.peek() == "..":
        parser.take()
        hi = parser.expr()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected {parser.peek()!r}")
    return Item(lo, hi)


def _literal(digits: str, whole: str) -> Num:
    if len(digits) > MAX_DIGITS:
        raise PortExpressionError(f"number {digits[:12]}... is too large in {whole!r}")
    return Num(int(digits))


def parse(text: str | int) -> PortExpression:
    """Parse a port expression; raises :class:`PortExpressionError` with the offending text."""
    if isinstance(text, int):
        text = str(text)
    if not isinstance(text, str) or not text.strip():
        raise PortExpressionError(f"empty port expression {text!r}")
    if len(text) > MAX_TEXT:
        raise PortExpressionError(
            f"port expression of {len(text):,} characters is longer than the "
            f"{MAX_TEXT:,} allowed: {text[:40]!r}..."
        )
    normal = _normalise(text)
    items = tuple(_parse_item(part, text) for part in _split_top_level(normal, text))
    return PortExpression(items, text)


def _split_top_level(text: str, whole: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise PortExpressionError(f"unbalanced ')' in port expression {whole!r}")
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth:
        raise PortExpressionError(f"missing ')' in port expression {whole!r}")
    parts.append(text[start:])
    return parts


def _collect_vars(node: Expr, into: set[str]) -> None:
    if isinstance(node, Var):
        into.add(node.name)
    elif isinstance(node, BinOp):
        _collect_vars(node.left, into)
        _collect_vars(node.right, into)


def format_expr(node: Expr, parent: int = 0, right_side: bool = False) -> str:
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Var):
        return node.name
    mine = _PRECEDENCE[node.op]
    text = f"{format_expr(node.left, mine)} {node.op} {format_expr(node.right, mine, True)}"
    needs_parens = mine < parent or (right_side and mine == parent)
    return f"({text})" if needs_parens else text


def format_spec(spec: PortExpression) -> str:
    """The canonical text of an expression: ``parse(format_spec(p)) == p`` up to ``text``."""
    out = []
    for item in spec.items:
        if item.hi is None:
            text = format_expr(item.lo)
            # "100 - 1" alone reads as a literal range; keep a subtraction of two literals one.
            out.append(f"({text})" if _LITERAL_RANGE.match(text) else text)
        elif isinstance(item.lo, Num) and isinstance(item.hi, Num):
            out.append(f"{item.lo.value}-{item.hi.value}")
        else:
            out.append(f"{format_expr(item.lo)}..{format_expr(item.hi)}")
    return ", ".join(out)


Value = int | str | bool
Env = Mapping[str, Value]


def _lookup(name: str, env: Env) -> Value:
    if name in env:
        return env[name]
    if name in INSTANCE_ALIASES:
        for alias in INSTANCE_ALIASES:
            if alias in env:
                return env[alias]
    raise PortExpressionError(
        f"the formula needs a value for {name!r}; set it in the inventory's options"
        if name not in INSTANCE_ALIASES
        else "the formula needs the instance number; give the role an 'instance'"
    )


def eval_expr(node: Expr, env: Env) -> int:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Var):
        value = _lookup(node.name, env)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PortExpressionError(f"{node.name!r} must be a whole number, not {value!r}")
        return value
    left, right = eval_expr(node.left, env), eval_expr(node.right, env)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    return left * right


def _check_port(value: int, spec: PortExpression) -> int:
    if not MIN_PORT <= value <= MAX_PORT:
        raise PortExpressionError(
            f"port expression {spec.text!r} gives {value}, outside {MIN_PORT}-{MAX_PORT}"
        )
    return value


def evaluate(spec: PortExpression, env: Env | None = None) -> list[tuple[int, int]]:
    """The inclusive ranges the expression denotes for one deployment, sorted and merged.

    A bare variable whose value is text is read as a literal port list, so an option such as
    ``sip_ports: "5060-5100"`` can stand where the document says "ports the administrator assigns".
    """
    env = env or {}
    ranges: list[tuple[int, int]] = []
    for item in spec.items:
        if item.hi is None and isinstance(item.lo, Var):
            value = _lookup(item.lo.name, env)
            if isinstance(value, str):
                ranges.extend(evaluate(parse(value)))
                continue
        lo = _check_port(eval_expr(item.lo, env), spec)
        hi = lo if item.hi is None else _check_port(eval_expr(item.hi, env), spec)
        if hi < lo:
            raise PortExpressionError(
                f"port expression {spec.text!r} gives an empty range {lo}-{hi}"
            )
        ranges.append((lo, hi))
    return merge_ranges(ranges)


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping or adjacent inclusive ranges."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def format_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """``[(80, 80), (8000, 8010)]`` -> ``"80,8000-8010"``: how a firewall engineer writes it."""
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)
