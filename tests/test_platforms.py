"""Roles declare what they run on; host firewalls are refused where they cannot be installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix import InventoryText, Project
from portmatrix.catalog import PackText, load_catalog
from portmatrix.cli import main
from portmatrix.errors import CatalogError, RenderError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_every_bundled_role_declares_its_platform() -> None:
    missing = [role for role, spec in load_catalog().roles.items() if spec.platform is None]
    assert missing == []


@pytest.mark.parametrize(
    ("role", "platform"),
    [
        ("cce.router", "windows"),
        ("cce.pg", "windows"),
        ("cce.aw", "windows"),
        ("cce.server", "windows"),
        ("cuc.server", "vos"),
        ("unified-cm", "vos"),
        ("cuic", "appliance"),
        ("finesse", "appliance"),
        ("voice-gateway", "appliance"),
        ("domain-controller", "any"),
        ("ip-phone", "device"),
    ],
)
def test_roles_run_where_the_products_run(role: str, platform: str) -> None:
    assert load_catalog().roles[role].platform == platform


def test_roles_lists_the_platform() -> None:
    code, out, _ = run("roles", "--json")
    assert code == 0
    rows = {row["role"]: row["platform"] for row in json.loads(out)["roles"]}
    assert rows["cuc.server"] == "vos" and rows["cce.router"] == "windows"
    assert None not in rows.values()
    _, table, _ = run("roles", "--product", "cuc")
    assert "vos" in table.splitlines()[2]


def test_a_cce_server_gets_windows_firewall_and_no_linux_one() -> None:
    project = Project(EXAMPLE)
    text = project.render("windows", host="rtr-a", skip_unbound=True).text
    assert "New-NetFirewallRule" in text
    for target in ("nftables", "iptables"):
        with pytest.raises(RenderError) as caught:
            project.render(target, host="rtr-a", skip_unbound=True)
        message = str(caught.value)
        assert "\n" not in message
        assert f"{target} is a host firewall for a linux host, and rtr-a runs windows" in message
        assert "--force" in message


@pytest.mark.parametrize("target", ["windows", "nftables", "iptables"])
def test_a_vos_appliance_gets_no_host_firewall(target: str) -> None:
    with pytest.raises(RenderError, match="cuc-pub runs vos"):
        Project(EXAMPLE).render(target, host="cuc-pub", skip_unbound=True)


def test_a_phone_network_gets_no_host_firewall() -> None:
    with pytest.raises(RenderError, match=r"phones is a network \(10\.30\.0\.0/24\), not a host"):
        Project(EXAMPLE).render("windows", host="phones", skip_unbound=True)


def test_force_renders_it_anyway() -> None:
    text = Project(EXAMPLE).render("nftables", host="cuc-pub", skip_unbound=True, force=True).text
    assert "table inet portmatrix" in text
    code, out, _ = run("render", "nftables", str(EXAMPLE), "--host", "cuc-pub", "--force", "-q")
    assert code == 0 and "table inet portmatrix" in out
    code, _, err = run("render", "nftables", str(EXAMPLE), "--host", "cuc-pub", "-q")
    assert code == 2 and "cuc-pub runs vos" in err and err.count("\n") == 1


def test_network_acls_serve_every_platform() -> None:
    project = Project(EXAMPLE)
    assert "access-list" in project.render("asa", between=("users", "services")).text
    assert "access-list" in project.render("asa", host="cuc-pub", skip_unbound=True).text


def test_a_host_of_any_platform_takes_every_host_firewall() -> None:
    project = Project(EXAMPLE)
    for target in ("windows", "nftables", "iptables"):
        assert project.render(target, host="dc-1", skip_unbound=True).text


def test_roles_that_disagree_leave_no_host_firewall() -> None:
    inventory = InventoryText(
        "name: mixed\nhosts:\n  - {name: odd, address: 10.0.0.1, roles: [cce.server, unified-cm]}\n"
    )
    project = Project(inventory)
    assert project.matrix.endpoints["odd"].platform == "vos+windows"
    with pytest.raises(RenderError, match="odd runs vos\\+windows"):
        project.render("windows", host="odd", skip_unbound=True)


def test_every_host_into_a_folder_leaves_out_the_ones_it_cannot_run_on(tmp_path: Path) -> None:
    code, _, err = run("render", "nftables", str(EXAMPLE), "-o", f"{tmp_path / 'fw'}/")
    assert code == 0
    files = sorted(p.name for p in (tmp_path / "fw").glob("*.nft"))
    assert files == ["dc-1.nft", "ops-1.nft"]  # the only hosts of platform any
    assert "left out rtr-a: nftables is a host firewall for a linux host" in err
    assert "left out cuc-pub" in err


def test_render_list_names_the_platforms_of_host_targets() -> None:
    _, out, _ = run("render", "--list", "--json")
    targets = {row["name"]: row["platforms"] for row in json.loads(out)["targets"]}
    assert targets["windows"] == ["windows"]
    assert targets["nftables"] == targets["iptables"] == ["linux"]
    assert targets["asa"] == targets["ios"] == []


def test_a_pack_platform_must_be_one_of_the_known_ones() -> None:
    pack = (
        "schema_version: 1\nproduct: np\ntitle: {en: t}\ndocument: t.txt\n"
        "roles:\n  np.box: {name: Box, platform: solaris}\n"
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog([PackText(pack, name="np.yaml")])
    assert caught.value.file == "np.yaml" and caught.value.line == 6
