"""The render pipeline: selection, fail-closed refusals, traceability, plugins and counts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import portmatrix
from portmatrix.errors import LookupFailure, PluginError, RenderError
from portmatrix.model import Exposure
from portmatrix.plugins import PluginRef
from portmatrix.render import (
    Action,
    Capabilities,
    CompactMatrix,
    Counts,
    Hook,
    Mode,
    RenderOptions,
    _registry,
    available,
    load,
    render,
    render_hosts,
)
from portmatrix.render.iptables import MULTIPORT_SLOTS, port_chunks
from render_sample import TCP, UDP, flow, sample_matrix

TARGETS = ["aerleon", "asa", "ios", "iptables", "nftables", "windows"]


def test_builtin_targets_register_through_the_entry_point_group() -> None:
    assert list(available()) == TARGETS
    for name in TARGETS:
        renderer = load(name)
        assert renderer.name == name and renderer.suffix.startswith(".")


def test_renderers_are_imported_only_when_asked_for() -> None:
    code = (
        "import sys, portmatrix.render as r; r.available();"
        "print(any(m.startswith('portmatrix.render.nftables') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _installed(monkeypatch: pytest.MonkeyPatch, *pairs: tuple[str, str]) -> None:
    """Pretend these entry points are installed, for the renderer registry only."""
    refs = [PluginRef(name, value, "fake-dist") for name, value in pairs]
    monkeypatch.setattr(_registry.RENDERERS, "discover", lambda group: refs)
    _registry.RENDERERS.reset()


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    yield
    _registry.RENDERERS.reset()


def test_two_renderers_claiming_one_name_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, ("nftables", "other_pkg.nft:Renderer"))
    with pytest.raises(PluginError, match="two render targets claim the name 'nftables'"):
        available()


def test_our_own_entry_point_for_a_builtin_is_not_a_clash(monkeypatch: pytest.MonkeyPatch) -> None:
    point = ("nftables", "portmatrix.render.nftables:NftablesRenderer")
    _installed(monkeypatch, point, point)
    assert list(available()) == TARGETS


def test_unknown_and_broken_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LookupFailure, match=r"no render target 'pf'.*nftables") as info:
        load("pf")
    _installed(monkeypatch, ("bad", "portmatrix.model:Flow"), ("gone", "portmatrix.nothing:X"))
    with pytest.raises(PluginError, match="is not a portmatrix render target"):
        load("bad")
    with pytest.raises(PluginError, match="cannot be loaded"):
        load("gone")
    with pytest.raises(LookupFailure) as typo:
        load("nftabels")
    assert typo.value.candidates[0] == "nftables"
    assert info.value.candidates == ()
    assert load("NFTables").name == "nftables"  # names are matched case-insensitively


def test_builtins_are_found_from_a_vendored_copy_without_metadata(tmp_path: Path) -> None:
    """A copy of the package with no distribution metadata at all still finds every target."""
    shutil.copytree(Path(portmatrix.__file__).parent, tmp_path / "vendored" / "portmatrix")
    code = (
        "import importlib.metadata as m; m.entry_points = lambda **kw: [];"
        "import portmatrix, portmatrix.render as r;"
        "print(portmatrix.__file__); print(','.join(r.available()));"
        "print(','.join(x.name for x in r.load_all()))"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "vendored")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    where, names, loaded = out.stdout.split()
    assert where.startswith(str(tmp_path))
    assert names.split(",") == TARGETS and loaded.split(",") == TARGETS


class ListRenderer:
    """A third-party renderer: one line per grant, to prove the Protocol is all it takes."""

    name = "list"
    suffix = ".txt"
    description = "one line per grant"
    capabilities = Capabilities(modes=frozenset({Mode.HOST}), egress=False)

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        return "".join(
            f"{s.hook.value} {s.action.value} {g.protocol.value} {','.join(g.sources) or 'any'} "
            f"{','.join(map(str, g.ports))}\n"
            for s in matrix.sections
            for g in s.grants
        )

    def count(self, text: str) -> Counts:
        return Counts(rules=len(text.splitlines()), elements=len(text.splitlines()))


def test_a_plugin_gets_a_compacted_matrix() -> None:
    out = render(sample_matrix(), ListRenderer(), host="rgr-a")
    assert out.text.splitlines() == [
        "input drop tcp any 40000-40001",
        "input accept tcp 10.0.0.2/32 40007-40008",
        "input accept tcp 10.0.1.1/32 40017-40020",
        "input accept tcp 10.20.0.7/32 443",
        "input accept udp 10.20.0.0/24 5060",
    ]
    assert out.counts == Counts(rules=5, elements=5)
    assert out.flows_in == 7


def test_capabilities_are_enforced_before_the_renderer_runs() -> None:
    with pytest.raises(RenderError, match="list cannot filter outbound traffic"):
        render(sample_matrix(), ListRenderer(), host="rgr-a", egress=True)
    with pytest.raises(RenderError, match="windows cannot render a network firewall"):
        render(sample_matrix(), "windows", between=("dc", "agents"))


def test_egress_adds_the_hosts_own_connections() -> None:
    without = render(sample_matrix(), ListRenderer(), host="rgr-a").text
    assert "output" not in without
    out = render(sample_matrix(), "nftables", host="rgr-a", egress=True).text
    assert "chain output" in out and "10.0.1.1 . 43004" in out


def test_between_holds_both_directions_and_only_crossing_flows() -> None:
    text = render(sample_matrix(), "nftables", between=("dc", "agents")).text
    assert "10.20.0.7 . 10.0.0.1 . 443" in text  # agents -> dc
    assert "10.0.0.1 . 10.20.0.7 . 1433" in text  # dc -> agents
    assert "40007" not in text  # inside dc, does not cross


def test_unknown_host_or_zone_is_a_lookup_failure() -> None:
    with pytest.raises(LookupFailure, match=r"no host 'rgr-c'.*did you mean"):
        render(sample_matrix(), "nftables", host="rgr-c")
    with pytest.raises(LookupFailure, match="no zone 'dmz'"):
        render(sample_matrix(), "nftables", between=("dc", "dmz"))


UNBOUND = flow("role:cce.aw", "rgr-a", TCP, 40047, rule="cce.router.rtfeed", row=26)


def test_unbound_flows_fail_closed_naming_role_entry_and_the_yaml_that_binds_it() -> None:
    with pytest.raises(RenderError) as caught:
        render(sample_matrix(UNBOUND), "iptables", host="rgr-a")
    error = caught.value
    assert error.message.startswith("iptables cannot express 1 flow for host rgr-a: ")
    assert "\n" not in error.message and "(cce.aw)" in error.message
    assert error.details == (
        "  role cce.aw: 1 flow of cce.router.rtfeed; bind it to the network its clients use "
        "(or add a host holding it):",
        "      bind:",
        "        cce.aw: <network>",
        "  or rerun with --skip-unbound to leave unbound flows out with a warning",
    )
    [problem] = error.problems  # still one structured refusal per flow
    assert problem.flow == UNBOUND and problem.attribute == "src_address"
    assert problem.unbound_role == "cce.aw" and "unbound" in problem.why


def test_skip_unbound_leaves_them_out_with_a_warning_and_a_header_line() -> None:
    out = render(sample_matrix(UNBOUND), "nftables", host="rgr-a", skip_unbound=True)
    assert len(out.warnings) == 1 and "role:cce.aw -> rgr-a tcp/40047" in out.warnings[0]
    assert "# left out (1, as asked):" in out.text
    assert "40047" not in out.text.split("\ntable inet portmatrix {", 1)[1]


def test_a_flow_onto_a_local_only_port_is_refused() -> None:
    clash = flow("rgr-b", "rgr-a", TCP, 40001, rule="cce.router.oops", row=30)
    with pytest.raises(
        RenderError, match=r"exposure: port is local-only on rgr-a by cce.mds-local"
    ):
        render(sample_matrix(clash), "nftables", host="rgr-a")


def test_many_problems_are_listed_in_one_message_and_counted() -> None:
    onto = [flow("rgr-b", "rgr-a", TCP, 40000, rule=f"x.{n}") for n in range(12)]  # local-only
    with pytest.raises(RenderError, match=r"cannot express 12 flows.*; and 4 more") as caught:
        render(sample_matrix(*onto), "nftables", host="rgr-a")
    assert len(caught.value.problems) == 12 and not caught.value.details


def test_many_unbound_flows_are_a_few_short_lines_per_role() -> None:
    """A role needed by many entries is counted, its entries cut to a few, and each role's
    fix is the two lines of YAML that bind it; no line is long, whatever the flow count."""
    extra = [flow("role:x", "rgr-a", TCP, 1000 + n, rule=f"x.{n:03}") for n in range(400)]
    extra += [flow("role:y", "rgr-a", UDP, 3000, rule="y.one")]
    with pytest.raises(RenderError) as caught:
        render(sample_matrix(*extra), "nftables", host="rgr-a")
    error = caught.value
    lines = str(error).split("\n")
    assert len(lines) == 8 and max(len(line) for line in lines) < 200
    assert "401 flows whose peer role no host holds (x, y)" in lines[0]
    assert lines[1].startswith("  role x: 400 flows of x.000, x.001, x.002 and 397 more;")
    assert lines[2:4] == ["      bind:", "        x: <network>"]
    assert lines[4].startswith("  role y: 1 flow of y.one;")
    assert lines[5:7] == ["      bind:", "        y: <network>"]
    assert "--skip-unbound" in lines[7] and len(error.problems) == 401


def test_iptables_refuses_mixed_families_and_points_at_family() -> None:
    matrix = replace(sample_matrix(), zones={"left": ("aw", "adm6"), "right": ("rgr-a", "cuc6")})
    with pytest.raises(RenderError, match=r"IPv6 flow in a file that also holds IPv4.*--family 4"):
        render(matrix, "iptables", between=("left", "right"))
    out = render(matrix, "iptables", between=("left", "right"), family=4)
    assert "adm6 -> cuc6 tcp/22 (cuc.ssh): IPv6, not rendered" in out.text
    assert "fd00" not in out.text.split("*filter", 1)[1]
    both = render(matrix, "nftables", between=("left", "right")).text
    assert "fd00:1::/64 . fd00::10 . 22" in both and "10.20.0.7 . 10.0.0.1 . 443" in both


def test_a_flow_between_families_is_refused() -> None:
    v6_into_v4 = flow("adm6", "rgr-a", TCP, 22, rule="cce.ssh")
    with pytest.raises(RenderError, match="an IPv4 and an IPv6 endpoint cannot reach each other"):
        render(sample_matrix(v6_into_v4), "nftables", host="rgr-a")


def test_ipv6_host_gets_ip6tables_syntax() -> None:
    text = render(sample_matrix(), "iptables", host="cuc6").text
    assert "ip6tables-restore" in text and "-s fd00:1::/64" in text and "icmpv6-type" in text


def test_render_hosts_skips_networks_and_shares_one_index() -> None:
    out = render_hosts(sample_matrix(), "nftables")
    assert sorted(out) == ["aw", "cuc6", "pg-a", "rgr-a", "rgr-b"]
    assert out["rgr-b"].flows_in == 0 and "policy drop" in out["rgr-b"].text


def _comment_of(target: str, line: str) -> str | None:
    patterns = {
        "nftables": r'comment "([^"]+)"',
        "iptables": r'--comment "([^"]+)"',
        "windows": r"-Description '([^']+)'",
    }
    match = re.search(patterns[target], line)
    return match.group(1) if match else None


FLOW_LINES = {
    "nftables": lambda line: " @" in line or bool(re.match(r"\s+[0-9a-f:.]+[/ ].* comment", line)),
    "iptables": lambda line: line.startswith("-A ") and "dport" in line,
    # the ICMP rules of host_firewall carry no flow, so no catalog id
    "windows": lambda line: line.startswith("New-NetFirewallRule") and "-IcmpType" not in line,
}


@pytest.mark.parametrize("target", sorted(FLOW_LINES))
@pytest.mark.parametrize("host", ["rgr-a", "cuc6"])
def test_every_rule_line_carries_a_catalog_id(target: str, host: str) -> None:
    text = render(sample_matrix(), target, host=host, egress=True).text
    lines = [line for line in text.splitlines() if FLOW_LINES[target](line)]
    assert lines
    ids = {f.rule for f in sample_matrix().flows}
    for line in lines:
        comment = _comment_of(target, line)
        assert comment is not None and any(rule in comment for rule in ids), line


@pytest.mark.parametrize("target", ["asa", "ios"])
def test_cisco_entries_follow_remarks_naming_their_rows(target: str) -> None:
    text = render(sample_matrix(), target, host="rgr-a", egress=True).text
    lines = text.splitlines()
    permits = [i for i, line in enumerate(lines) if " permit " in f" {line} "]
    assert permits
    for index in permits:
        above = "\n".join(lines[max(0, index - 4) : index])
        assert "remark" in above and "table 1 row" in above, lines[index]


@pytest.mark.parametrize("target", TARGETS)
def test_every_flow_of_the_host_is_traceable_in_the_output(target: str) -> None:
    matrix = sample_matrix()
    text = render(matrix, target, host="rgr-a", egress=True).text
    for f in matrix.flows:
        if "rgr-a" in (f.src, f.dst):
            assert f.rule in text and f.source in text, f.rule


def test_nftables_has_one_rule_per_hook_family_protocol_and_action() -> None:
    out = render(sample_matrix(), "nftables", host="rgr-a", egress=True)
    # input: local tcp drop, tcp accept, udp accept; output: tcp accept
    assert out.counts.rules == 4
    assert out.counts.elements == 7


def test_multiport_chunks_respect_fifteen_slots() -> None:
    from portmatrix.compact import PortBlock

    singles = [PortBlock(p, p, ()) for p in range(1, 40, 2)]
    chunks = port_chunks(singles)
    assert [len(c) for c in chunks] == [15, 5]
    ranges = [PortBlock(p, p + 1, ()) for p in range(100, 140, 3)]
    assert all(sum(2 for _ in c) <= MULTIPORT_SLOTS for c in port_chunks(ranges))


def test_sections_of_a_compacted_matrix() -> None:
    from portmatrix.render._scope import build

    compact = build(sample_matrix(), target="t", options=RenderOptions(host="rgr-a", egress=True))
    assert [(s.hook, s.action) for s in compact.sections] == [
        (Hook.INPUT, Action.DROP),
        (Hook.INPUT, Action.ACCEPT),
        (Hook.OUTPUT, Action.ACCEPT),
    ]
    udp = [g for g in compact.sections[1].grants if g.protocol is UDP]
    assert [g.sources for g in udp] == [("10.20.0.0/24",)]  # aw is inside phones: one prefix
    assert compact.flows_in == 9 and compact.families == frozenset({4})


def test_local_only_flows_need_no_address() -> None:
    local = flow("rgr-b", "rgr-b", TCP, 9000, rule="x.local", exposure=Exposure.LOCAL_ONLY)
    out = render(sample_matrix(local), "nftables", host="rgr-b")
    assert "tcp dport @local_tcp drop" in out.text
