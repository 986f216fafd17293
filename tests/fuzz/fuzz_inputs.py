#!/usr/bin/env python3
"""Mutation fuzzing of every loader for a while: ``make fuzz`` (``FUZZ_SECONDS``, default 180).

Each round takes a seed of one target (every bundled pack, the examples, the test data, the
malformed corpus, the test rulesets and portmatrix's own rendered rules), damages it
(:func:`fuzz.mutations.mutate`) and hands it to the target's public loader: packs, inventories
(read and resolved), port expressions, and the ruleset readers through ``parse_ruleset``. Every
twentieth pack or inventory input also goes through the command line (``port --catalog`` and
``resolve -o``), which must answer with exit status 0 or 2, no traceback, and no file left
behind when it fails. A crash is any exception that is not a ``PortmatrixError``, or any
misbehaviour of the command line (for flow logs, see :mod:`fuzz.mutations`); each is saved with its traceback in ``--crashes DIR``.

    python tests/fuzz/fuzz_inputs.py --seconds 180 [--seed N] [--crashes DIR]

Prints the inputs tried per target and the crashes, and exits 1 if there was any crash.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for fuzz.mutations

from click.testing import CliRunner

from fuzz.mutations import Target, mutate, targets
from portmatrix.cli import main as cli
from portmatrix.errors import PortmatrixError

CLI_EVERY = 20
#: One round in this many damages a flow log (and ingests it) rather than a faster target.
SLOW_EVERY = 10


def run_cli(target: Target, text: str, workdir: Path) -> str | None:
    """What is wrong with the command line's answer to ``text``, or None."""
    source = workdir / "input.yaml"
    source.write_bytes(text.encode("utf-8", "surrogatepass"))
    out = workdir / "out"
    out.mkdir(exist_ok=True)
    args = (
        ["port", "80", "--catalog", str(source)]
        if target.name == "pack"
        else [
            "resolve",
            str(source),
            "--catalog",
            str(Path(__file__).parents[1] / "data" / "acme-pack.yaml"),
            "-o",
            str(out / "m.txt"),
        ]
    )
    result = CliRunner().invoke(cli, args)
    problem = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problem = "".join(traceback.format_exception(result.exception))
    elif result.exit_code not in (0, 2) or "Traceback" in result.stderr:
        problem = f"exit {result.exit_code}: {result.stderr}"
    elif result.exit_code == 2 and (result.stderr.count("\n") != 1 or list(out.iterdir())):
        problem = f"not one line, or a file left behind: {result.stderr!r} {list(out.iterdir())}"
    for leftover in out.iterdir():
        leftover.unlink()
    return problem


def fuzz(seconds: float, seed: int, crashes: Path) -> int:
    rng = random.Random(seed)
    kinds = list(targets())
    slow = [target for target in kinds if target.name.startswith("flow log")]
    fast = [target for target in kinds if target not in slow]
    rounds = 0
    seeds = {target.name: target.seeds() for target in kinds}
    tried: Counter[str] = Counter()
    crashed: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="portmatrix-fuzz-") as work:
        while time.monotonic() < deadline:
            rounds += 1
            if rounds % SLOW_EVERY == 0:  # an ingest costs what a hundred loads cost
                target = slow[(rounds // SLOW_EVERY) % len(slow)]
            else:
                target = fast[rounds % len(fast)]
            name, original = rng.choice(seeds[target.name])
            text = mutate(original, rng)
            tried[target.name] += 1
            problem = None
            try:
                target.load(text, "fuzzed")
            except PortmatrixError:
                pass
            except Exception:
                problem = traceback.format_exc()
            if (
                problem is None
                and target.name in ("pack", "inventory")
                and tried[target.name] % CLI_EVERY == 0
            ):
                tried[f"{target.name} (command line)"] += 1
                problem = run_cli(target, text, Path(work))
            if problem is not None:
                crashed[target.name] += 1
                _save(crashes, target.name, name, text, problem)
    width = max(len(name) for name in tried)
    print(f"{'target':<{width}}  {'inputs':>8}  crashes")
    for name in sorted(tried):
        print(f"{name:<{width}}  {tried[name]:>8}  {crashed.get(name, 0)}")
    total = sum(crashed.values())
    print(
        f"{sum(tried.values())} inputs in {seconds:g} s, {total} crashes"
        + (f", saved in {crashes}" if total else "")
    )
    return 1 if total else 0


def _save(crashes: Path, target: str, seed: str, text: str, problem: str) -> None:
    crashes.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    stem = crashes / f"{target.replace(' ', '-')}-{digest}"
    stem.with_suffix(".input").write_bytes(text.encode("utf-8", "surrogatepass"))
    stem.with_suffix(".txt").write_text(f"target: {target}\nseed: {seed}\n\n{problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument(
        "--crashes", type=Path, default=Path(tempfile.gettempdir()) / "portmatrix-fuzz-crashes"
    )
    options = parser.parse_args(argv)
    print(f"seed {options.seed}")
    return fuzz(options.seconds, options.seed, options.crashes)


if __name__ == "__main__":
    sys.exit(main())
