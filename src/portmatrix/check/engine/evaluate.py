"""First-match evaluation of traffic regions through a firewall's chains.

A region (a union of boxes) enters the first base chain on its path. Each rule splits what is
left into the part it matches and the rest: accept and drop decide the matched part, jump runs
it through another chain and brings back whatever that chain returns, goto does the same but
returns to the caller's caller, return hands the part back. What reaches the end of a base chain
meets its policy. What one base chain accepts goes on to the next, so every box of the region
ends with exactly one verdict and the rule that gave it.

Rules are looked up through a per-chain index on destination address, so a region aimed at one
host only meets the rules that can touch it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from portmatrix.check.engine.index import IntervalIndex
from portmatrix.check.ruleset import Action, Origin, Rule, Ruleset
from portmatrix.errors import RulesetError
from portmatrix.traffic import (
    DPORT,
    DST,
    FULL,
    Box,
    Interval,
    Intervals,
    normalise,
    region_overlaps,
    split,
)

MAX_DEPTH = 64  # the kernel refuses deeper jump chains; a loop in the model must not hang us

#: The verdict when no base chain lies on the path at all: nothing filters, so the kernel accepts.
UNFILTERED = Rule(
    Origin(None, "no chain filters this path", "-", what="default"), (FULL,), Action.ACCEPT
)


@dataclass(frozen=True, slots=True)
class Decision:
    box: Box
    accepted: bool
    rule: Rule  # the rule that decided, a policy, an ACL's implicit deny, or UNFILTERED


@dataclass
class Tracker:
    """Which rules traffic reached, and which could have been reached (for shadowed rules)."""

    reached: set[Rule] = field(default_factory=set)
    in_scope: dict[Rule, set[int]] = field(default_factory=dict)  # rule -> lanes it matters to


class RulesetIndex:
    """Per-chain destination indexes and rule positions, built once per check."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        self._indexes: dict[str, IntervalIndex] = {}
        self.position: dict[Rule, int] = {}
        for chain in ruleset.chains.values():
            for position, rule in enumerate(chain.rules):
                self.position[rule] = position

    def candidates(self, chain: str, window: Interval) -> list[Rule]:
        index = self._indexes.get(chain)
        if index is None:
            index = self._indexes[chain] = self._build(chain)
        rules = self.ruleset.chains[chain].rules
        return [rules[position] for position in index.query(*window)]

    def _build(self, chain: str) -> IntervalIndex:
        rules = self.ruleset.chains[chain].rules
        entries = (
            (lo, hi, position)
            for position, rule in enumerate(rules)
            for box in rule.match
            for lo, hi in box[DST]
        )
        return IntervalIndex(entries)


class SliceRules:
    """The rules that can touch one destination window, per chain, indexed by destination port.

    Cutting a window's traffic at every destination-port boundary its rules draw leaves pieces
    that each meet only the few rules for their ports, so evaluation stays linear in the rules
    instead of fragmenting the region once per rule.
    """

    def __init__(self, index: RulesetIndex, window: Interval):
        self.index = index
        self.window = window
        self._rules: dict[str, list[Rule]] = {}
        self._by_port: dict[str, IntervalIndex] = {}
        self._cuts: dict[Interval, int] = {}  # the port cuts last drawn -> their position
        self._by_cut: dict[str, list[list[Rule]]] = {}
        self._reached: list[str] = []  # the chains the cuts were drawn from

    def rules(self, chain: str) -> list[Rule]:
        found = self._rules.get(chain)
        if found is None:
            found = self._rules[chain] = self.index.candidates(chain, self.window)
        return found

    def for_ports(self, chain: str, ports: Interval) -> list[Rule]:
        cut = self._cuts.get(ports)
        if cut is not None:
            return self._swept(chain)[cut]
        by_port = self._by_port.get(chain)
        rules = self.rules(chain)
        if by_port is None:
            entries = (
                (lo, hi, position)
                for position, rule in enumerate(rules)
                for box in rule.match
                for lo, hi in box[DPORT]
            )
            by_port = self._by_port[chain] = IntervalIndex(entries)
        return [rules[position] for position in by_port.query(*ports)]

    def port_cuts(self, pipeline: Sequence[str], ports: Interval) -> list[Interval]:
        """``ports`` cut wherever a rule reachable from ``pipeline`` starts or ends its ports."""
        points = {ports[0], ports[1] + 1}
        seen, todo = set(pipeline), list(pipeline)
        while todo:
            for rule in self.rules(todo.pop()):
                for box in rule.match:
                    points.update(
                        p for lo, hi in box[DPORT] for p in (lo, hi + 1) if ports[0] < p <= ports[1]
                    )
                if rule.target is not None and rule.target not in seen:
                    seen.add(rule.target)
                    todo.append(rule.target)
        ordered = sorted(points)
        cuts = [(lo, stop - 1) for lo, stop in itertools.pairwise(ordered)]
        self._cuts = {cut: position for position, cut in enumerate(cuts)}
        self._by_cut = {}
        self._reached = sorted(seen)
        return cuts

    def cut_groups(
        self, pipeline: Sequence[str], ports: Interval
    ) -> list[tuple[Intervals, Interval]]:
        """The port cuts grouped by the rules they meet, each group with one of its cuts.

        Cuts that meet the same rules of every chain the pipeline reaches are decided alike,
        so each group is evaluated once over all its ports (the ports no rule names, often half
        the cuts, become one group); the cut it carries selects the group's rules.
        """
        cuts = self.port_cuts(pipeline, ports)
        swept = [self._swept(chain) for chain in self._reached]
        groups: dict[tuple[tuple[int, ...], ...], list[Interval]] = {}
        for position, cut in enumerate(cuts):
            key = tuple(tuple(id(rule) for rule in lists[position]) for lists in swept)
            groups.setdefault(key, []).append(cut)
        return [(normalise(members), members[0]) for members in groups.values()]

    def _swept(self, chain: str) -> list[list[Rule]]:
        """Each port cut's rules of ``chain``, in chain order, dealt out in one pass.

        Every rule's port ranges are bisected into the cuts they span (they never split one),
        so the cost is what the rules cover rather than one index query per cut.
        """
        lists = self._by_cut.get(chain)
        if lists is not None:
            return lists
        starts = [lo for lo, _ in self._cuts]
        lists = self._by_cut[chain] = [[] for _ in starts]
        for rule in self.rules(chain):
            for box in rule.match:
                for lo, hi in box[DPORT]:
                    first = max(0, bisect.bisect_right(starts, lo) - 1)
                    for cut in range(first, bisect.bisect_right(starts, hi)):
                        found = lists[cut]
                        if not found or found[-1] is not rule:
                            found.append(rule)
        return lists


class Evaluator:
    """Evaluates regions aimed at one destination window through one pipeline of base chains.

    With ``ports``, only rules whose destination ports overlap that window are consulted: the
    region must lie inside it.
    """

    def __init__(
        self,
        rules: SliceRules,
        pipeline: Sequence[str],
        *,
        ports: Interval | None = None,
        tracker: Tracker | None = None,
    ):
        self.rules = rules
        self.chains = rules.index.ruleset.chains
        self.pipeline = pipeline
        self.ports = ports
        self.tracker = tracker
        self.entered: set[str] = set()  # chains some traffic of this window walked through

    def candidates(self, chain: str) -> list[Rule]:
        if self.ports is None:
            return self.rules.rules(chain)
        return self.rules.for_ports(chain, self.ports)

    def decide(self, region: list[Box]) -> list[Decision]:
        if not self.pipeline:
            return [Decision(box, True, UNFILTERED) for box in region]
        final: list[Decision] = []
        pending: dict[Rule | None, list[Box]] = {None: region}
        for chain in self.pipeline:
            self.entered.add(chain)
            accepted: dict[Rule | None, list[Box]] = {}
            for prior, boxes in pending.items():
                for decision in self._stage(chain, boxes):
                    if not decision.accepted:
                        final.append(decision)
                        continue
                    keeps_prior = prior is not None and decision.rule.origin.what != "rule"
                    accepted.setdefault(prior if keeps_prior else decision.rule, []).append(
                        decision.box
                    )
            pending = accepted
        for rule, boxes in pending.items():
            assert rule is not None
            final.extend(Decision(box, True, rule) for box in boxes)
        return final

    def _stage(self, chain: str, region: list[Box]) -> list[Decision]:
        decided, returned = self._run(chain, region, 0)
        policy = self.chains[chain].policy or UNFILTERED
        decided.extend(Decision(box, policy.action is Action.ACCEPT, policy) for box in returned)
        return decided

    def _run(self, chain: str, region: list[Box], depth: int) -> tuple[list[Decision], list[Box]]:
        if depth > MAX_DEPTH:
            raise RulesetError(
                f"chain {chain} is reached through more than {MAX_DEPTH} jumps; is there a loop?",
                file=self.rules.index.ruleset.file,
            )
        self.entered.add(chain)
        decided: list[Decision] = []
        returned: list[Box] = []
        remaining = region
        for rule in self.candidates(chain):
            if not remaining:
                break
            if rule.action is Action.NONE:
                self._note_passing(rule, remaining)
                continue
            hit, remaining = split(remaining, rule.match)
            if not hit:
                continue
            if self.tracker is not None:
                self.tracker.reached.add(rule)
            if rule.action in (Action.ACCEPT, Action.DROP):
                decided.extend(Decision(box, rule.action is Action.ACCEPT, rule) for box in hit)
            elif rule.action is Action.RETURN:
                returned.extend(hit)
            else:
                assert rule.target is not None
                inner, back = self._run(rule.target, hit, depth + 1)
                decided.extend(inner)
                (remaining if rule.action is Action.JUMP else returned).extend(back)
        returned.extend(remaining)
        return decided, returned

    def _note_passing(self, rule: Rule, region: list[Box]) -> None:
        """A rule without a verdict (log, counter) is reached when traffic passes over it."""
        tracker = self.tracker
        if (
            tracker is not None
            and rule not in tracker.reached
            and region_overlaps(region, rule.match)
        ):
            tracker.reached.add(rule)
