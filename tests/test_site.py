"""Site rules (issue 11, items 7 and 8): exclude:, override: and bind: in an inventory.

Each changes the matrix only where it says, is recorded wherever the matrix is written, and is
an error at its line when it names nothing. The example deployment is the base; each test adds
a few lines of YAML to it.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from portmatrix import Project
from portmatrix.cli import main
from portmatrix.model import Flow, Matrix
from portmatrix.project import InventoryText

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"
BASE = EXAMPLE.read_text(encoding="utf-8")
#: The example without its admin and client networks: their roles are then unbound.
UNBOUND = BASE[: BASE.index("  - name: admin-net")].replace(
    "users: [phones, admin-net, clients, vgw-1]", "users: [phones, vgw-1]"
)


def project(extra: str, base: str = BASE) -> Project:
    return Project(InventoryText(base + extra, name="site.yaml"))


def by_rule(matrix: Matrix) -> dict[str, set[Flow]]:
    rules: dict[str, set[Flow]] = {}
    for flow in matrix.flows:
        rules.setdefault(flow.rule, set()).add(flow)
    return rules


@pytest.fixture(scope="module")
def base() -> Matrix:
    return project("").matrix


def write(tmp_path: Path, extra: str, base: str = BASE) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(base + extra, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- exclude


EXCLUDE = """
exclude:
  - {id: cuc.ssh, reason: "site policy: no shell from the network"}
  - cuc.srm.*
"""
SRM = ("cuc.srm.rpc", "cuc.srm.heartbeat")


def test_exclusion_removes_exactly_the_matched_entries(base: Matrix) -> None:
    before, after = by_rule(base), by_rule(project(EXCLUDE).matrix)
    assert all(before[rule] for rule in ("cuc.ssh", *SRM))  # there was something to drop
    assert set(before) - set(after) == {"cuc.ssh", *SRM}
    assert all(after[rule] == before[rule] for rule in after)  # every other flow untouched


def test_a_glob_matches_every_entry_it_names() -> None:
    site = project("\nexclude: ['cuc.out.*', 'cuc.srm.?pc']\n").deployment.site
    outbound, rpc = site.exclusions
    assert {"cuc.out.dns", "cuc.out.ntp"} <= set(outbound.entries)
    assert all(entry.startswith("cuc.out.") for entry in outbound.entries)
    assert rpc.entries == ("cuc.srm.rpc",)


def test_exclusions_are_recorded_in_the_json_scope(tmp_path: Path) -> None:
    code, out, _ = run("resolve", str(write(tmp_path, EXCLUDE)), "--format", "json")
    scope = json.loads(out)["scope"]
    assert code == 0 and scope["exclusions"] == [
        {
            "id": "cuc.ssh",
            "entries": ["cuc.ssh"],
            "reason": "site policy: no shell from the network",
        },
        {"id": "cuc.srm.*", "entries": list(SRM), "reason": ""},
    ]
    rules = {row["rule"] for row in json.loads(out)["requests"]}
    assert not rules & {"cuc.ssh", *SRM} and "cuc.tomcat.web" in rules


def test_a_workbook_reader_sees_that_22_tcp_was_excluded_by_the_site_and_why(
    tmp_path: Path,
) -> None:
    book = tmp_path / "cr.xlsx"
    code, _, _ = run("resolve", str(write(tmp_path, EXCLUDE)), "-o", str(book))
    cover = dict(openpyxl.load_workbook(book)["Cover"].iter_rows(values_only=True))
    lines = str(cover["Site exclusions and overrides"]).split("\n")
    assert code == 0 and lines == [
        "excluded by the site: cuc.ssh (22/tcp SSH daemon); "
        "reason: site policy: no shell from the network",
        "excluded by the site: cuc.srm.rpc (22000/tcp, 22000/udp Connection Server Role "
        "Manager, by cuc.srm.*)",
        "excluded by the site: cuc.srm.heartbeat (22001/tcp, 22001/udp Connection Server Role "
        "Manager, by cuc.srm.*)",
    ]


def test_without_site_rules_the_cover_says_none_and_the_scope_has_no_keys(
    tmp_path: Path,
) -> None:
    listing = project("").listing()
    assert dict(listing.cover)["Site exclusions and overrides"] == "-"
    assert not {"exclusions", "overrides", "bindings"} & set(listing.scope)
    assert listing.notes == ()


def test_table_and_markdown_end_with_the_site_rules(tmp_path: Path) -> None:
    path = str(write(tmp_path, EXCLUDE))
    _, table, _ = run("resolve", path)
    _, markdown, _ = run("resolve", path, "--format", "md")
    assert table.rstrip().split("\n")[-4:] == [
        "site exclusions and overrides (3):",
        "- excluded by the site: cuc.ssh (22/tcp SSH daemon); "
        "reason: site policy: no shell from the network",
        "- excluded by the site: cuc.srm.rpc (22000/tcp, 22000/udp Connection Server Role "
        "Manager, by cuc.srm.*)",
        "- excluded by the site: cuc.srm.heartbeat (22001/tcp, 22001/udp Connection Server Role "
        "Manager, by cuc.srm.*)",
    ]
    assert "\n## Site exclusions and overrides (3)\n\n- excluded by the site: cuc.ssh" in markdown


def test_explain_says_an_excluded_entry_is_excluded_and_why() -> None:
    decisions = project(EXCLUDE).explain("cuc-sub", "cuc-pub")
    ssh = [d for d in decisions if d.rule == "cuc.ssh"]
    assert ssh and all(not d.made for d in ssh) and {d.owner for d in ssh} == {"cuc-pub", "cuc-sub"}
    assert ssh[0].reason == "excluded by the site: site policy: no shell from the network"
    srm = [d for d in decisions if d.rule == "cuc.srm.rpc"]
    assert srm and srm[0].reason == "excluded by the site (cuc.srm.*)"
    made = {d.rule for d in project("").explain("cuc-sub", "cuc-pub") if d.made}
    assert {"cuc.ssh", *SRM} <= made  # without the exclusion, they made flows


# --------------------------------------------------------------------------- override


def test_override_changes_the_ports_and_nothing_else(base: Matrix) -> None:
    extra = "\noverride:\n  cuc.ssh: {ports: 2222, reason: moved}\n"
    before, after = by_rule(base), by_rule(project(extra).matrix)
    assert {(f.port_start, f.port_end) for f in before["cuc.ssh"]} == {(22, 22)}
    assert {(f.port_start, f.port_end) for f in after["cuc.ssh"]} == {(2222, 2222)}
    moved = {f._replace(port_start=22, port_end=22) for f in after["cuc.ssh"]}
    assert moved == before["cuc.ssh"]  # same ends, same protocol, only the port moved
    assert all(after[rule] == before[rule] for rule in after if rule != "cuc.ssh")


def test_override_ports_take_formulas_and_per_protocol_forms(base: Matrix) -> None:
    mixed = next(
        entry
        for entry in Project().catalog.entries
        if len({item.protocol for item in entry.ports}) == 2 and entry.id in by_rule(base)
    )
    extra = f"\noverride:\n  {mixed.id}: {{ports: {{udp: '30000 + 1'}}}}\n"
    after = by_rule(project(extra).matrix)[mixed.id]
    udp = {(f.port_start, f.port_end) for f in after if f.protocol.value == "udp"}
    tcp_before = {f for f in by_rule(base)[mixed.id] if f.protocol.value == "tcp"}
    assert udp == {(30001, 30001)}
    assert {f for f in after if f.protocol.value == "tcp"} == tcp_before


def test_override_peers_by_role_and_by_host(base: Matrix) -> None:
    extra = "\noverride:\n  cuc.ssh: {peers: [ops-1]}\n  cuc.imap: {peers: [cce.aw]}\n"
    after = by_rule(project(extra).matrix)
    assert {f.src for f in after["cuc.ssh"]} == {"ops-1"}
    assert {f.dst for f in after["cuc.ssh"]} == {f.dst for f in base.flows if f.rule == "cuc.ssh"}
    assert {f.src for f in after["cuc.imap"]} == {"aw-1"}  # aw-1 holds cce.aw
    assert all(f.dst_address is not None for f in after["cuc.ssh"])


def test_overrides_are_recorded_in_json_and_the_cover(tmp_path: Path) -> None:
    extra = "\noverride:\n  cuc.ssh: {ports: 2222, peers: [ops-1], reason: jump host}\n"
    listing = project(extra).listing()
    assert listing.scope["overrides"] == [
        {"id": "cuc.ssh", "ports": {"tcp": "2222"}, "peers": ["ops-1"], "reason": "jump host"}
    ]
    assert dict(listing.cover)["Site exclusions and overrides"] == (
        "overridden by the site: cuc.ssh (ports 22/tcp -> 2222/tcp; "
        "peers admin-workstation, cuc.server -> ops-1); reason: jump host"
    )


# --------------------------------------------------------------------------- naming nothing

NOTHING = [
    ("exclude:\n  - cce.remote-telnet\n", 2, "exclude: no catalog entry 'cce.remote-telnet'"),
    ("exclude:\n  - cuc.ssh\n  - cuc.rdp*\n", 3, "'cuc.rdp*' matches no catalog entry"),
    ("exclude:\n  - {id: cuc.shh}\n", 2, "did you mean cuc.ssh"),
    ("override:\n  cuc.ssj: {ports: 1}\n", 2, "no catalog entry 'cuc.ssj'; did you mean cuc.ssh"),
    ("override:\n  cuc.ssh: {reason: x}\n", 2, "changes nothing; give ports, peers or both"),
    ("override:\n  cuc.ssh: {peers: []}\n", 2, "opens nothing; exclude it instead"),
    ("override:\n  cuc.ssh:\n    peers: [aw-1, aw-9]\n", 3, "'aw-9' is neither"),
    ("override:\n  cuc.ssh: {ports: 'base + 1'}\n", 2, "'base' is not a catalog option"),
    ("override:\n  cuc.ssh: {ports: '70000'}\n", 2, "ports '70000'"),
    ("override:\n  cuc.ssh:\n    ports: {udp: 22}\n", 3, "has no udp ports (it has tcp)"),
    ("exclude: [cuc.ssh]\noverride:\n  cuc.ssh: {ports: 1}\n", 3, "also excluded"),
    ("bind:\n  client-workstaton: any\n", 2, "no role 'client-workstaton'; did you mean"),
    ("bind:\n  ip-phone: any\n", 2, "role ip-phone is held by host 'phones'"),
    ("bind:\n  cce.router: 10.0.0.0/8\n", 2, "needs side, which a binding cannot give"),
    ("bind:\n  tftp-server: 10.0.0.1/8\n", 2, "is not an IP address, a network or 'any'"),
]


@pytest.mark.parametrize(("extra", "offset", "fragment"), NOTHING)
def test_a_rule_naming_nothing_is_one_line_at_its_line_exit_2(
    tmp_path: Path, extra: str, offset: int, fragment: str
) -> None:
    path = write(tmp_path, "\n" + extra)
    line = BASE.count("\n") + 1 + offset
    code, out, err = run("resolve", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith(f"portmatrix: error: {path}:{line}: ") and fragment in err, err


def test_a_name_both_role_and_host_must_say_which(tmp_path: Path) -> None:
    base = BASE.replace("ops-1", "finesse")  # a host named like a role
    extra = "\noverride:\n  cuc.ssh: {peers: [finesse]}\n"
    with pytest.raises(Exception, match="both a role and a host; write role:finesse"):
        project(extra, base).deployment  # noqa: B018
    flows = project(extra.replace("[finesse]", "[host:finesse]"), base).matrix.flows
    assert {f.src for f in flows if f.rule == "cuc.ssh"} == {"finesse"}


# --------------------------------------------------------------------------- bind

ROLES = ("admin-workstation", "client-workstation")
BIND = "\nbind:\n  client-workstation: 10.50.0.0/16\n  admin-workstation: any\n"


def unbound_roles(host: str) -> dict[str, list[Flow]]:
    roles: dict[str, list[Flow]] = {}
    for flow in project("", UNBOUND).matrix.flows_to(host):
        if flow.unbound:
            roles.setdefault(flow.src.removeprefix("role:"), []).append(flow)
    return roles


def test_without_bind_the_refusal_is_a_few_short_lines_per_role(tmp_path: Path) -> None:
    roles = unbound_roles("rtr-a")
    assert "admin-workstation" in roles
    path = str(write(tmp_path, "", UNBOUND))
    code, _, err = run("render", "windows", path, "--host", "rtr-a")
    lines = err.rstrip("\n").split("\n")
    assert code == 2 and len(lines) == 2 + 3 * len(roles), err
    assert max(len(line) for line in lines) < 200, err
    flows = sum(map(len, roles.values()))
    assert lines[0].startswith(f"portmatrix: error: windows cannot express {flows} flows")
    assert f"({', '.join(sorted(roles))})" in lines[0]
    for number, (role, needed) in enumerate(sorted(roles.items())):
        rules = sorted({f.rule for f in needed})
        more = f" and {len(rules) - 3} more" if len(rules) > 3 else ""
        count = f"{len(needed)} flow{'s' if len(needed) > 1 else ''}"
        assert lines[1 + 3 * number].startswith(
            f"  role {role}: {count} of {', '.join(rules[:3])}{more};"
        )
        assert lines[2 + 3 * number : 4 + 3 * number] == [
            "      bind:",
            f"        {role}: <network>",
        ]
    assert "--skip-unbound" in lines[-1]


def test_bind_lets_render_succeed_with_the_bound_network(tmp_path: Path) -> None:
    networks = {
        role: f"10.{40 + n}.0.0/16" for n, role in enumerate(sorted(unbound_roles("rtr-a")))
    }
    extra = "\nbind:\n" + "".join(f"  {role}: {net}\n" for role, net in networks.items())
    path = str(write(tmp_path, extra, UNBOUND))
    code, out, err = run("render", "windows", path, "--host", "rtr-a")
    assert code == 0, err
    for role, network in networks.items():
        rules = {f.rule for f in unbound_roles("rtr-a")[role]}
        created = [line for line in out.split("\n") if line.startswith("New-NetFirewallRule")]
        remote = [line for line in created if f"-RemoteAddress '{network}'" in line]
        assert remote, (role, network)  # the bound network is the rules' remote address
        assert all(any(rule in line for rule in rules) for line in remote)


def test_bound_flows_carry_the_network_and_any_follows_the_peer_family() -> None:
    matrix = project(BIND, UNBOUND).matrix
    clients = [f for f in matrix.flows if f.src == "role:client-workstation"]
    admins = [f for f in matrix.flows if f.src == "role:admin-workstation"]
    assert clients and {f.src_address for f in clients} == {"10.50.0.0/16"}
    assert admins and {f.src_address for f in admins} == {"0.0.0.0/0"}
    assert not any(f.unbound for f in clients + admins)
    assert not any("client-workstation" in w for w in matrix.warnings)
    [before] = [w for w in project("", UNBOUND).warnings if "'client-workstation'" in w]
    assert before.endswith("; bind it to its network under bind:, or add a host holding it")
    v6 = UNBOUND.replace("address: 10.20.1.11", "address: fd00::11")
    on_v6 = project(BIND, v6).matrix
    assert {f.src_address for f in on_v6.flows if f.src == "role:admin-workstation" and
            f.dst == "cuc-pub"} == {"::/0"}  # fmt: skip


def test_bindings_are_recorded_in_json_and_the_cover() -> None:
    listing = project(BIND, UNBOUND).listing()
    assert listing.scope["bindings"] == {
        "client-workstation": "10.50.0.0/16",
        "admin-workstation": "any",
    }
    assert dict(listing.cover)["Site exclusions and overrides"].split("\n") == [
        "bound by the site: client-workstation (its flows use 10.50.0.0/16)",
        "bound by the site: admin-workstation (its flows use any)",
    ]


@pytest.mark.parametrize("target", ["windows", "nftables", "iptables", "asa", "ios"])
def test_every_rendered_file_names_the_site_rules_in_its_header(target: str) -> None:
    site = project(EXCLUDE + "\nbind:\n  tftp-server: any\n")
    if target == "windows":
        text = site.render(target, host="rtr-a").text
    else:
        text = site.render(target, between=("users", "services")).text
    head = text[: text.index("22/tcp") + 200]
    assert "excluded by the site: cuc.ssh (22/tcp SSH daemon)" in head
    assert "bound by the site: tftp-server (its flows use any)" in text
    assert "cuc.ssh (000_" not in text  # and no rule opens it
