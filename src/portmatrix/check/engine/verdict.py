"""One connection's fate: what the ruleset does with the packet that opens it.

The same first-match evaluation the check runs over whole regions, asked about a single point:
the answer the differential tests compare with the kernel, and a quick way to ask "would this
connection get through, and which rule decides?".
"""

from __future__ import annotations

from portmatrix.check.engine.evaluate import Decision, Evaluator, RulesetIndex, SliceRules
from portmatrix.check.engine.scope import pipelines_for
from portmatrix.check.ruleset import Path, Ruleset
from portmatrix.traffic import PROTOCOL_NUMBERS, family_of, network_interval, span


def verdict(
    ruleset: Ruleset,
    *,
    src: str,
    dst: str,
    protocol: str,
    dport: int,
    sport: int = 40000,
    path: Path = Path.INPUT,
    acl: str | None = None,
) -> Decision:
    """The decision for a new connection from ``src``:``sport`` to ``dst``:``dport``."""
    source, target = network_interval(src)[0], network_interval(dst)[0]
    number = PROTOCOL_NUMBERS[protocol]
    box = (
        span(source, source),
        span(target, target),
        span(number, number),
        span(sport, sport),
        span(dport, dport),
    )
    pipeline = pipelines_for(ruleset, path, acl, None, None)[family_of(target)]
    (decision,) = Evaluator(SliceRules(RulesetIndex(ruleset), (target, target)), pipeline).decide(
        [box]
    )
    return decision
