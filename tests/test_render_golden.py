"""Golden files for every target x example deployment (plus the hand-built sample).

Per deployment: the host firewall (with egress) of the host most flows go to, the ACL
between the two zones most flows cross, and where a deployment has them, the ACL between its
private networks (only the MDS rows, on the private addresses). Regenerate with ``PORTMATRIX_REGEN_GOLDEN=1`` or
``--regen-golden``; ``test_render_kernel.py`` feeds the nftables and iptables goldens to the
real tools, so a golden file is only trusted where the kernel's tools accept it.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from golden_plugin import Golden
from portmatrix.model import Matrix
from portmatrix.render import Mode, available, load, render
from portmatrix.resolve import resolve_file
from render_sample import sample_matrix

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
TARGETS = list(available())


def busiest_host(matrix: Matrix) -> str:
    counts = Counter(f.dst for f in matrix.network_flows())
    hosts = [name for name, e in matrix.endpoints.items() if not e.is_network]
    return min(hosts, key=lambda name: (-counts[name], name))


def busiest_zones(matrix: Matrix) -> tuple[str, str]:
    pairs = itertools.combinations(sorted(matrix.zones), 2)
    return min(pairs, key=lambda pair: (-len(matrix.flows_between(*pair)), pair))


def scenarios() -> list[tuple[str, Matrix, str, dict[str, object]]]:
    """(deployment, matrix, scope name, render keywords) for every golden file.

    Host scenarios render with ``force``: a golden pins a target's syntax for the busiest host
    whatever that host runs on (the platform refusal itself is tested in test_platforms.py).
    """
    out: list[tuple[str, Matrix, str, dict[str, object]]] = []
    for path in EXAMPLES:
        matrix = resolve_file(path)
        host = busiest_host(matrix)
        zones = busiest_zones(matrix)
        out.append(
            (path.stem, matrix, f"host-{host}", {"host": host, "egress": True, "force": True})
        )
        out.append((path.stem, matrix, f"between-{zones[0]}-{zones[1]}", {"between": zones}))
        if {"private-a", "private-b"} <= set(matrix.zones):  # the private networks' own ACL
            private = ("private-a", "private-b")
            out.append((path.stem, matrix, "between-private-a-private-b", {"between": private}))
    sample = sample_matrix()
    out.append(("sample", sample, "host-rgr-a", {"host": "rgr-a", "egress": True, "force": True}))
    out.append(("sample", sample, "host-cuc6", {"host": "cuc6", "force": True}))
    out.append(("sample", sample, "between-dc-agents", {"between": ("dc", "agents")}))
    return out


SCENARIOS = scenarios()


def golden_name(deployment: str, scope: str, target: str) -> str:
    return f"{deployment}/{scope}{load(target).suffix}"


def renders_networks(target: str) -> bool:
    return Mode.NETWORK in load(target).capabilities.modes


# Targets that render host firewalls only (windows) have no zone-pair goldens; their refusal of
# --between is tested in test_render.py.
CASES = [
    pytest.param(target, *scenario, id=f"{scenario[0]}-{scenario[2]}-{target}")
    for scenario in SCENARIOS
    for target in TARGETS
    if "between" not in scenario[3] or renders_networks(target)
]


@pytest.mark.parametrize(("target", "deployment", "matrix", "scope", "keywords"), CASES)
def test_golden(
    golden: Golden,
    target: str,
    deployment: str,
    matrix: Matrix,
    scope: str,
    keywords: dict[str, object],
) -> None:
    text = render(matrix, target, **keywords).text  # type: ignore[arg-type]
    golden.check(golden_name(deployment, scope, target), text)


def test_there_is_a_golden_scenario_per_example() -> None:
    assert EXAMPLES, "examples/*.yaml should hold at least the bundled deployment"
    assert {d for d, *_ in SCENARIOS} >= {p.stem for p in EXAMPLES}
