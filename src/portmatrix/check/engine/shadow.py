"""Rules no traffic in scope ever reaches, and the earlier rules that decide it first.

While the scope is evaluated the tracker notes every rule some traffic reached, and every rule
that matches traffic in scope in a chain that traffic entered. The difference is the shadowed
rules. To explain each, its traffic is taken away rule by rule by the earlier rules of its chain
that end evaluation; if they take all of it, they are named, otherwise the traffic that enters
the chain simply never matches the rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from portmatrix.check.engine.evaluate import RulesetIndex, Tracker
from portmatrix.check.engine.scope import Lane
from portmatrix.check.report.findings import Finding, FindingKind
from portmatrix.check.ruleset import Action, Origin, Rule
from portmatrix.traffic import DST, Box, conjoin, dim_union, hull, region_subtract, split

#: Rules that take traffic away from the rules after them. A jump counts: when the rule after it
#: is never reached, what the jump took never came back.
_TAKERS = (Action.ACCEPT, Action.DROP, Action.RETURN, Action.GOTO, Action.JUMP)


def shadowed_findings(
    index: RulesetIndex, tracker: Tracker, lanes: Sequence[Lane]
) -> list[Finding]:
    by_origin: dict[Origin, list[Rule]] = {}
    reached_origins = {rule.origin for rule in tracker.reached}
    for rule in tracker.in_scope:
        if rule not in tracker.reached and rule.origin not in reached_origins:
            by_origin.setdefault(rule.origin, []).append(rule)
    return [_finding(index, origin, rules, tracker, lanes) for origin, rules in by_origin.items()]


def _finding(
    index: RulesetIndex, origin: Origin, rules: list[Rule], tracker: Tracker, lanes: Sequence[Lane]
) -> Finding:
    deciders: list[Rule] = []
    left_over = False
    for rule in rules:
        scope = [
            lanes[lane].box(family) for lane in sorted(tracker.in_scope[rule]) for family in (4, 6)
        ]
        found, rest = _deciders(index, rule, conjoin(rule.match, scope))
        deciders.extend(found)
        left_over = left_over or bool(rest)
    if deciders and not left_over:
        unique = list(dict.fromkeys(decider.origin for decider in deciders))
        takers = [f"{item.where()} ({_verb(deciders, item)})" for item in unique]
        subject = takers[0] + " takes" if len(takers) == 1 else ", ".join(takers) + " take"
        message = f"never reached: {subject} all of its traffic first"
        details = {"shadowed_by": [{"line": item.line, "handle": item.handle} for item in unique]}
    else:
        message = f"never reached: no traffic in scope that enters chain {origin.chain} gets as far as this rule"
        details = {"shadowed_by": []}
    return Finding.at(FindingKind.SHADOWED, origin, message, details=details)


def _deciders(index: RulesetIndex, rule: Rule, region: list[Box]) -> tuple[list[Rule], list[Box]]:
    """The earlier rules of the rule's chain that take its traffic, and what none of them takes.

    One earlier rule that takes all of it is named alone (the nearest such); otherwise every
    earlier rule that takes a part is named, in order.
    """
    if not region:
        return [], []
    position = index.position[rule]
    takers = [
        earlier
        for earlier in index.candidates(rule.origin.chain, hull(dim_union(region, DST)))
        if index.position[earlier] < position and earlier.action in _TAKERS
    ]
    for earlier in reversed(takers):
        if not region_subtract(region, earlier.match):
            return [earlier], []
    found = []
    for earlier in takers:
        hit, region = split(region, earlier.match)
        if hit:
            found.append(earlier)
        if not region:
            break
    return found, region


def _verb(deciders: list[Rule], origin: Origin) -> str:
    rule = next(rule for rule in deciders if rule.origin == origin)
    if rule.action in (Action.JUMP, Action.GOTO):
        return f"{rule.action.value} {rule.target}"
    return rule.action.value
