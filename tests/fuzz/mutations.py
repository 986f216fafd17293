"""Seeds, mutations and loaders shared by the Hypothesis tests and the ``make fuzz`` target.

A *seed* is a real input: every bundled pack, the examples, the test data, the malformed corpus,
rulesets rendered by portmatrix itself. A *mutation* damages it the way people and tools do:
lines lost, doubled (a second ``ports:``), moved or re-indented, a character flipped, the file cut
short, or a token YAML and the parsers treat specially dropped in (anchors, tags, dates, octal,
huge numbers, control characters, brackets). A *loader* is one public way in; a *crash* is any
exception from it that is not a :class:`~portmatrix.errors.PortmatrixError`. Flow logs are held
to more: a damaged line is counted and cited, so only an :class:`~portmatrix.errors.InputError`
about the file as a whole (a header without the fields it needs) may come out of ``ingest``;
their loader also puts bytes that are not UTF-8 into half of its inputs, as corrupted logs have.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from portmatrix.catalog import Catalog, PackText, load_catalog
from portmatrix.check import RulesetType, parse_ruleset
from portmatrix.inventory import build_deployment
from portmatrix.portspec import evaluate, parse
from portmatrix.resolve import resolve
from portmatrix.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
PACKS = ROOT / "src" / "portmatrix" / "packs"

TOKENS = (
    "", " ", "\n", "\t", "-", ":", ": ", "#", "'", '"', "[", "]", "{", "}", ",", "&a ", "*a",
    "<<: *a", "!!binary ", "!!set ", "!!python/name:os.system ", "!x ", "---\n", "...", "? ",
    "2024-01-01", "0443", "20:30", ".nan", "-.inf", "1.0e+400", "9" * 5000, "~", "null", "on",
    "yes", "true", "0", "-1", "65535", "65536", "99999999999", "instance", "instNum", "(", ")",
    "*", "+", "..", "~", "×", "０", "٣", "\x00", "\x07", "\x1b[2J", "\r", "\u202e", "é", "全角",
    "0.0.0.0/0", "::/0", "10.0.0.0/33", "::ffff:0:0/96", "=HYPERLINK(\"x\")",
)  # fmt: skip


def mutate(text: str, rng: random.Random, *, rounds: int | None = None) -> str:
    """``text`` damaged by one to four random mutations."""
    for _ in range(rounds if rounds is not None else rng.randint(1, 4)):
        text = rng.choice(_MUTATIONS)(text, rng)
    return text


def _lines(text: str) -> list[str]:
    return text.split("\n") or [""]


def _drop_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def _double_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    at = rng.randrange(len(lines))
    lines.insert(at, lines[at])
    return "\n".join(lines)


def _move_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    line = lines.pop(rng.randrange(len(lines)))
    lines.insert(rng.randrange(len(lines) + 1), line)
    return "\n".join(lines)


def _indent(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    at = rng.randrange(len(lines))
    lines[at] = (
        (" " * rng.choice((1, 2, 4)) + lines[at]) if rng.random() < 0.5 else lines[at].lstrip()
    )
    return "\n".join(lines)


def _insert(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(TOKENS) + text[at:]


def _replace(text: str, rng: random.Random) -> str:
    if not text:
        return rng.choice(TOKENS)
    at = rng.randrange(len(text))
    width = rng.randint(1, 12)
    return text[:at] + rng.choice(TOKENS) + text[at + width :]


def _flip(text: str, rng: random.Random) -> str:
    if not text:
        return text
    at = rng.randrange(len(text))
    return (
        text[:at]
        + chr(rng.choice((32, 45, 48, 57, 58, 91, 123, rng.randrange(1, 0x3000))))
        + text[at + 1 :]
    )


def _truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _splice(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    start = rng.randrange(len(lines))
    chunk = lines[start : start + rng.randint(1, 6)]
    at = rng.randrange(len(lines) + 1)
    return "\n".join(lines[:at] + chunk + lines[at:])


_MUTATIONS: tuple[Callable[[str, random.Random], str], ...] = (
    _drop_line, _double_line, _move_line, _indent, _insert, _replace, _flip, _truncate, _splice,
)  # fmt: skip


# --------------------------------------------------------------------------- seeds


def _texts(*paths: Path) -> list[tuple[str, str]]:
    found = []
    for path in paths:
        for file in sorted(path.glob("*.yaml")) if path.is_dir() else [path]:
            found.append(
                (str(file.relative_to(ROOT)), file.read_bytes().decode("utf-8", "replace"))
            )
    return found


@cache
def pack_seeds() -> list[tuple[str, str]]:
    return _texts(PACKS, TESTS / "data" / "acme-pack.yaml", TESTS / "corpus" / "packs")


@cache
def inventory_seeds() -> list[tuple[str, str]]:
    data = [TESTS / "data" / name for name in ("acme-inventory.yaml", "lab-topology.yaml")]
    return _texts(ROOT / "examples", *data, TESTS / "corpus" / "inventories")


@cache
def formula_seeds() -> list[tuple[str, str]]:
    catalog = fuzz_catalog()
    formulas = sorted({item.ports for entry in catalog.entries for item in entry.ports})
    return [(f"formula {index}", text) for index, text in enumerate(formulas)]


@cache
def ruleset_seeds() -> list[tuple[RulesetType, str, str]]:
    """The test rulesets, and the example's rules as portmatrix renders them for each type."""
    from portmatrix.project import Project

    kinds = {
        ".json": RulesetType.NFT_JSON,
        ".iptables-save": RulesetType.IPTABLES_SAVE,
        ".rules": RulesetType.IPTABLES_SAVE,
        ".asa": RulesetType.ASA,
        ".ios": RulesetType.IOS,
    }
    seeds: list[tuple[RulesetType, str, str]] = []
    folders = [TESTS / "data" / "rulesets", TESTS / "data" / "rulesets" / "public"]
    for file in sorted(path for folder in folders for path in folder.iterdir() if path.is_file()):
        kind = next((k for suffix, k in kinds.items() if file.name.endswith(suffix)), None)
        if kind is None:
            continue  # nft text and READMEs are not checked formats
        seeds.append((kind, str(file.relative_to(ROOT)), file.read_text(encoding="utf-8")))
    project = Project(ROOT / "examples" / "duplex-cce.yaml")
    for target, kind in (
        ("asa", RulesetType.ASA),
        ("ios", RulesetType.IOS),
        ("iptables", RulesetType.IPTABLES_SAVE),
    ):
        rendered = (
            project.render(target, between=("users", "services"))
            if target != "iptables"
            else project.render(target, host="cuc-pub", family=4, force=True)
        )
        seeds.append((kind, f"rendered {target}", rendered.text))
    return seeds


@cache
def fuzz_catalog() -> Catalog:
    """The bundled packs plus the ACME test pack: every seed inventory's roles are declared."""
    return load_catalog([TESTS / "data" / "acme-pack.yaml"])


# --------------------------------------------------------------------------- loaders


def load_pack(text: str, name: str = "fuzzed.yaml") -> None:
    common = (PACKS / "common.yaml").read_text(encoding="utf-8")
    load_catalog([PackText(common, name="common.yaml"), PackText(text, name=name)], bundled=False)


def load_inventory(text: str, name: str = "fuzzed.yaml") -> None:
    catalog = fuzz_catalog()
    data, lines = parse_yaml(text, name=name)
    resolve(build_deployment(data, catalog, file=name, lines=lines), catalog)


def load_formula(text: str, name: str = "") -> None:
    evaluate(parse(text), {"instance": 3, "sip_ports": "5060-5100", "RTPPortRangeStart": 20000})


def ruleset_loader(kind: RulesetType) -> Callable[[str, str], None]:
    def load(text: str, name: str = "fuzzed") -> None:
        parse_ruleset(text, ruleset_type=kind, name=name)

    return load


#: The captured and hand-written flow logs, by the reader that reads each.
FLOWLOG_SEEDS = {
    "asa.log": "asa",
    "pfirewall.log": "pfirewall",
    "zeek-conn.log": "zeek",
    "zeek-conn.json": "zeek-json",
    "vpc-v2.log": "vpc",
    "vpc-v5.log": "vpc",
    "netfilter-kmsg.log": "netfilter",
    "netfilter-dmesg.log": "netfilter",
    "conntrack-events.txt": "conntrack",
    "conntrack-table.txt": "conntrack",
    "nfdump.csv": "nfdump-csv",
    "nfdump-q.txt": "nfdump-text",
}


def flowlog_seeds(kind: str) -> list[tuple[str, str]]:
    folder = TESTS / "data" / "flowlogs"
    return [
        (f"tests/data/flowlogs/{name}", (folder / name).read_text(encoding="utf-8"))
        for name, reader in FLOWLOG_SEEDS.items()
        if reader == kind
    ]


def flowlog_loader(kind: str) -> Callable[[str, str], None]:
    """Stage ``text`` as a log of ``kind``; an engine failure is re-raised as a crash."""
    import hashlib
    import tempfile

    from portmatrix.audit import canonical, sources
    from portmatrix.audit.readers import _fast
    from portmatrix.errors import InputError, PortmatrixError

    def load(text: str, name: str = "fuzzed") -> None:
        data = text.encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(data).digest()
        if digest[0] % 2 and data:  # a corrupted byte run where the hash says
            at = int.from_bytes(digest[1:5], "big") % len(data)
            data = data[:at] + b"\xff\xfe\x80" + data[at:]
        with tempfile.TemporaryDirectory(prefix="portmatrix-fuzz-log-") as work:
            path = Path(work) / "fuzzed.log"
            path.write_bytes(data)
            read = stage_once(path, Path(work), fast=False)
            fast = kind in FAST_READERS and _fast.available()
            if fast and stage_once(path, Path(work), fast=True) != read:
                raise RuntimeError("the compiled fast path read the log otherwise than SQL")

    def stage_once(path: Path, work: Path, *, fast: bool) -> tuple[Any, ...]:
        """Every staged row (problems too) and the counts, with the fast path forced or off."""
        staging = canonical.Staging(canonical.connect(threads=1), folder=work)
        saved = (_fast.available, _fast.FAST_MIN, _fast.BLOCK, _fast.MOSTLY_HANDED)
        if fast:  # on every file, however small or damaged, in blocks of a few lines
            _fast.FAST_MIN, _fast.BLOCK, _fast.MOSTLY_HANDED = 1, 512, 2.0
        else:
            _fast.available = lambda: False  # type: ignore[method-assign]
        try:
            sources.stage(
                sources.classify([path], kind=kind),
                staging,
                options=canonical.ReaderOptions(year=2025),
            )
            rows = staging.con.execute(f"SELECT * FROM {staging.TABLE} ORDER BY ALL").fetchall()
            return (rows, staging.counts())
        except InputError:
            raise
        except PortmatrixError as exc:
            raise RuntimeError(f"not a cited line but a failed ingest: {exc}") from exc
        finally:
            _fast.available, _fast.FAST_MIN, _fast.BLOCK, _fast.MOSTLY_HANDED = saved
            staging.close()

    return load


#: The readers with a compiled fast path, fuzzed with it forced and compared with their SQL.
FAST_READERS = frozenset({"vpc", "nfdump-csv", "zeek", "pfirewall", "csv"})


@dataclass(frozen=True)
class Target:
    name: str
    load: Callable[[str, str], None]
    seeds: Callable[[], list[tuple[str, str]]]


def targets() -> Iterator[Target]:
    yield Target("pack", load_pack, pack_seeds)
    yield Target("inventory", load_inventory, inventory_seeds)
    yield Target("port expression", load_formula, formula_seeds)
    for kind in RulesetType:

        def seeds(kind: RulesetType = kind) -> list[tuple[str, str]]:
            return [
                (name, text) for seed_kind, name, text in ruleset_seeds() if seed_kind is kind
            ] or [("empty", "")]

        yield Target(f"ruleset {kind.value}", ruleset_loader(kind), seeds)
    for reader in sorted(set(FLOWLOG_SEEDS.values())):

        def logs(reader: str = reader) -> list[tuple[str, str]]:
            return flowlog_seeds(reader)

        yield Target(f"flow log {reader}", flowlog_loader(reader), logs)
