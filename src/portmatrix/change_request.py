"""The matrix (or a change) as a network change board reads it: rows to open, and the rest apart.

A board approves *requests*: one row per rule a firewall must let through, with both ends'
names and addresses, the network and the zone pair (the firewall it crosses), the ports as text
and as two numbers (so a spreadsheet sorts and filters them), the action, the document that
justifies it, and where that document is ambiguous the reading the catalog chose. Local-only
ports (blocked on the network, allowed on localhost) and flows whose peer role nobody holds
(*unbound*) are not requests: they travel in lists of their own so no reviewer approves them
by mistake.

Every format (workbook, CSV, JSON, Markdown, table) writes these same :class:`RequestRow`
records, so the workbook's requests sheet and the JSON ``requests`` list agree row for row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from portmatrix.catalog import Catalog
from portmatrix.model import CatalogEntry, Flow, Matrix

Lang = Literal["en", "ja"]
#: Flags whose entries carry a reading of the document the catalog had to choose.
READING_FLAGS = ("ambiguous", "contradiction")
#: Actions a row asks for: open a flow, remove one a change no longer needs, keep a port closed.
PERMIT, REMOVE, DENY = "permit", "remove", "deny"


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One row of the change request, as every format writes it (``None`` is an empty cell)."""

    src: str
    src_address: str | None
    dst: str
    dst_address: str | None
    network: str | None
    zone_pair: str | None
    protocol: str
    ports: str
    port_start: int
    port_end: int
    action: str
    exposure: str
    rule: str
    instance: int | None
    side: str | None
    purpose: str
    source: str
    ambiguous: str | None
    request_id: None = None  # filled in by the board
    approved_by: None = None
    approval_date: None = None
    flow: Flow | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}

    def values(self) -> list[Any]:
        return [getattr(self, name) for name in COLUMNS]


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(RequestRow) if f.name != "flow")

#: Column headings by language. In English they are the column names themselves, so the
#: workbook, the CSV header and the JSON keys say the same thing and a reviewer's filter and a
#: script's key agree; in Japanese they are translated for the reader.
HEADINGS: dict[str, dict[str, str]] = {
    "en": {name: name for name in COLUMNS},
    "ja": {
        "src": "送信元",
        "src_address": "送信元アドレス",
        "dst": "宛先",
        "dst_address": "宛先アドレス",
        "network": "ネットワーク",
        "zone_pair": "ゾーン対 (ファイアウォール)",
        "protocol": "プロトコル",
        "ports": "ポート",
        "port_start": "開始ポート",
        "port_end": "終了ポート",
        "action": "アクション",
        "exposure": "公開範囲",
        "rule": "カタログ規則",
        "instance": "インスタンス",
        "side": "サイド",
        "purpose": "用途",
        "source": "出典",
        "ambiguous": "曖昧な記述と採用した解釈",
        "request_id": "申請番号",
        "approved_by": "承認者",
        "approval_date": "承認日",
    },
}

#: The three lists, in the order every format writes them; their names are the JSON keys.
LISTS = ("requests", "local_only", "unbound")
LIST_TITLES: dict[str, dict[str, str]] = {
    "en": {"requests": "Requests", "local_only": "Local only", "unbound": "Unbound"},
    "ja": {"requests": "申請", "local_only": "ローカル限定", "unbound": "未割当"},
}


def headings(lang: str) -> list[str]:
    table = HEADINGS.get(lang, HEADINGS["en"])
    return [table[name] for name in COLUMNS]


@dataclass(frozen=True, slots=True)
class Wording:
    """How rows are worded: the language, and the catalog entries behind the rules."""

    lang: str
    entries: Mapping[str, CatalogEntry]

    @classmethod
    def of(cls, catalog: Catalog, lang: str = "en") -> Wording:
        return cls(lang, catalog.by_id)

    def purpose(self, flow: Flow) -> str:
        entry = self.entries.get(flow.rule)
        if entry is None or self.lang == "en" or not entry.notes.ja:
            return flow.purpose
        return self.entry_purpose(entry)

    def entry_purpose(self, entry: CatalogEntry) -> str:
        """``component: first sentence of the notes``, in the wording's language."""
        notes = entry.notes.get(self.lang)
        return f"{entry.component}: {first_sentence(notes)}" if notes else entry.component

    def reading(self, flow: Flow) -> str | None:
        """The catalog's reading of a flagged row, or ``None`` where the document is clear."""
        entry = self.entries.get(flow.rule)
        if entry is None:
            return None
        flags = [flag for flag in entry.flags if flag in READING_FLAGS]
        return f"{', '.join(flags)}: {entry.notes.get(self.lang)}" if flags else None


def first_sentence(text: str) -> str:
    for mark in ("。", ". "):
        if mark in text:
            return text.split(mark, 1)[0].rstrip(".")
    return text.rstrip(".。")


def zone_pair(matrix: Matrix, flow: Flow) -> str | None:
    """The firewall a flow crosses, ``zone-a > zone-b``; ``None`` inside one zone or unzoned.

    A pair counts only when each end is outside the other's zone: with nested zones, a flow
    between two members of one zone crosses no firewall of it. An end is judged at the address
    the flow uses, so a private-network flow crosses the zones that hold private addresses.
    """
    tests = [(zone, matrix.zone_test(zone)) for zone in matrix.zones]
    src = [zone for zone, test in tests if test(flow.src, flow.src_address)]
    dst = [zone for zone, test in tests if test(flow.dst, flow.dst_address)]
    crossed = [f"{a} > {b}" for a in src if a not in dst for b in dst if b not in src]
    return ", ".join(crossed) or None


def row(flow: Flow, *, action: str, wording: Wording, matrix: Matrix) -> RequestRow:
    ports = str(flow.ports)
    return RequestRow(
        src=flow.src,
        src_address=flow.src_address,
        dst=flow.dst,
        dst_address=flow.dst_address,
        network=flow.network,
        zone_pair=zone_pair(matrix, flow),
        protocol=flow.protocol.value,
        ports=ports,
        port_start=flow.port_start,
        port_end=flow.port_end,
        action=action,
        exposure=flow.exposure.value,
        rule=flow.rule,
        instance=flow.instance,
        side=flow.side,
        purpose=wording.purpose(flow),
        source=flow.source,
        ambiguous=wording.reading(flow),
        flow=flow,
    )


@dataclass(frozen=True, slots=True)
class Sorted:
    """Rows sorted into the three lists."""

    requests: list[RequestRow] = field(default_factory=list)
    local_only: list[RequestRow] = field(default_factory=list)
    unbound: list[RequestRow] = field(default_factory=list)

    def add(
        self,
        flows: Iterable[Flow],
        *,
        action: str,
        wording: Wording,
        matrix: Matrix,
    ) -> None:
        for flow in flows:
            if flow.local_only:
                self.local_only.append(row(flow, action=DENY, wording=wording, matrix=matrix))
            elif flow.unbound:
                self.unbound.append(row(flow, action=action, wording=wording, matrix=matrix))
            else:
                self.requests.append(row(flow, action=action, wording=wording, matrix=matrix))

    def lists(self) -> dict[str, list[RequestRow]]:
        return {"requests": self.requests, "local_only": self.local_only, "unbound": self.unbound}


def matrix_rows(matrix: Matrix, wording: Wording) -> Sorted:
    """Every flow of a matrix: network flows become permit requests."""
    out = Sorted()
    out.add(matrix.flows, action=PERMIT, wording=wording, matrix=matrix)
    return out


def change_rows(
    to_open: Iterable[Flow], to_close: Iterable[Flow], *, new: Matrix, old: Matrix, wording: Wording
) -> Sorted:
    """A change: flows to open are permit requests, flows to close removal requests."""
    out = Sorted()
    out.add(to_open, action=PERMIT, wording=wording, matrix=new)
    out.add(to_close, action=REMOVE, wording=wording, matrix=old)
    return out


def summary(rows: Sorted) -> dict[str, Any]:
    """Counts by kind: rows in each list, requests by action and protocol, ambiguous readings."""
    counts: dict[str, Any] = {name: len(items) for name, items in rows.lists().items()}
    by_action: dict[str, int] = {}
    for item in rows.requests:
        by_action[item.action] = by_action.get(item.action, 0) + 1
    counts["by_action"] = dict(sorted(by_action.items()))
    counts["ambiguous"] = sum(1 for item in rows.requests if item.ambiguous)
    return counts


COVER_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Change request",
        "deployment": "Deployment",
        "inventory": "Inventory",
        "options": "Options in effect",
        "sites": "Sites",
        "overrides": "Site exclusions and overrides",
        "packs": "Catalog packs (documents)",
        "version": "portmatrix version",
        "date": "Date",
        "counts": "Counts",
    },
    "ja": {
        "title": "変更申請",
        "deployment": "展開",
        "inventory": "インベントリ",
        "options": "有効なオプション",
        "sites": "サイト",
        "overrides": "サイトの除外と上書き",
        "packs": "カタログ パック (文書)",
        "version": "portmatrix バージョン",
        "date": "日付",
        "counts": "件数",
    },
}


@dataclass(frozen=True, slots=True)
class CoverFacts:
    """What the cover sheet states about the deployment the rows were computed for."""

    title: str
    deployments: Sequence[str]
    inventories: Sequence[str]
    options: Mapping[str, Any]
    sites: Mapping[str, int]  # site -> hosts in it
    overrides: Sequence[str]
    packs: Sequence[str]  # "product: title (document)"
    version: str
    date: str


def cover(facts: CoverFacts, counted: Mapping[str, Any], lang: str) -> tuple[tuple[str, str], ...]:
    """The cover sheet as label/value pairs, labels in ``lang``."""
    words = COVER_LABELS.get(lang, COVER_LABELS["en"])
    none = "-"
    lines = [
        (words["title"], facts.title),
        (words["deployment"], " -> ".join(facts.deployments)),
        (words["inventory"], " -> ".join(facts.inventories)),
        (
            words["options"],
            "\n".join(f"{k} = {v}" for k, v in sorted(facts.options.items())) or none,
        ),
        (
            words["sites"],
            "\n".join(f"{site}: {n}" for site, n in sorted(facts.sites.items())) or none,
        ),
        (words["overrides"], "\n".join(facts.overrides) or none),
        (words["packs"], "\n".join(facts.packs)),
        (words["version"], facts.version),
        (words["date"], facts.date),
        (
            words["counts"],
            "\n".join(f"{k}: {v}" for k, v in counted.items() if not isinstance(v, dict)),
        ),
    ]
    return tuple(lines)
