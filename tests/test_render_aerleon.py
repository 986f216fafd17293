"""The Aerleon export is written against a strict list of keys, pinned to Aerleon's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from portmatrix.cli import main
from portmatrix.errors import RenderError
from portmatrix.project import Project
from portmatrix.render import render
from portmatrix.render.aerleon import KEYS, checked, split_bundle, token
from render_sample import sample_matrix

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"


def test_an_unknown_key_is_refused_not_written() -> None:
    with pytest.raises(RenderError, match="unknown term key"):
        checked("term", {"name": "x", "destination-ports": "P"})


def test_the_term_and_header_keys_are_keys_aerleon_knows() -> None:
    builder = pytest.importorskip(
        "aerleon.lib.policy_builder", reason="aerleon is not installed (portmatrix[aerleon])"
    )
    known = set(builder.BUILTIN_SPEC)
    assert KEYS["term"] <= known
    assert KEYS["header"] <= known


def _walk_terms(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [term for item in policy["filters"] for term in item["terms"]]


@pytest.mark.parametrize(
    "keywords",
    [{"host": "rgr-a", "egress": True}, {"host": "cuc6"}, {"between": ("dc", "agents")}],
)
def test_every_written_mapping_uses_only_allowed_keys(keywords: dict[str, Any]) -> None:
    definitions, policy = split_bundle(render(sample_matrix(), "aerleon", **keywords).text)
    assert set(definitions) <= KEYS["definitions"] and set(policy) <= KEYS["policy"]
    for network in definitions["networks"].values():
        assert set(network) <= KEYS["network"]
        assert all(set(value) <= KEYS["network-value"] for value in network["values"])
    for items in definitions["services"].values():
        assert all(set(item) <= KEYS["service-item"] for item in items)
    for item in policy["filters"]:
        assert set(item) <= KEYS["filter"] and set(item["header"]) <= KEYS["header"]
    terms = _walk_terms(policy)
    assert terms and all(set(term) <= KEYS["term"] for term in terms)
    referenced = {
        name
        for term in terms
        for side in ("source-address", "destination-address")
        for name in term.get(side, "").split()
    }
    assert referenced <= set(definitions["networks"])
    nested = {
        v["name"] for n in definitions["networks"].values() for v in n["values"] if "name" in v
    }
    assert nested <= set(definitions["networks"])


def test_a_file_that_is_not_an_export_is_refused() -> None:
    with pytest.raises(RenderError, match="two YAML documents"):
        split_bundle("filters: []\n")


def test_counts_match_the_parsed_export() -> None:
    out = render(sample_matrix(), "aerleon", host="rgr-a", egress=True)
    definitions, policy = split_bundle(out.text)
    ported = [term for term in _walk_terms(policy) if "destination-port" in term]
    values = sum(len(n["values"]) for n in definitions["networks"].values())
    items = sum(len(s) for s in definitions["services"].values())
    assert (out.counts.rules, out.counts.elements) == (len(ported), values + items)


def test_names_come_from_hosts_roles_and_entries_not_numbers() -> None:
    text = render(sample_matrix(), "aerleon", host="rgr-a", egress=True).text
    definitions, policy = split_bundle(text)
    hosts = {token(name) for name in sample_matrix().endpoints}
    networks = set(definitions["networks"])
    assert networks - {"LOOPBACK_V4", "LOOPBACK_V6"} <= hosts | {
        n for n in networks if n.startswith("ROLE_")
    }
    ids = {f.rule for f in sample_matrix().flows}
    for name in definitions["services"]:
        assert any(name.startswith(token(rule)) for rule in ids), name
    for term in _walk_terms(policy):
        assert len(term["name"]) <= 24 and "pm-" not in term["name"]
    assert not any(name.startswith("PM_") for name in networks)


def test_a_role_network_stands_for_exactly_its_hosts() -> None:
    matrix = Project(EXAMPLE).matrix
    definitions, _ = split_bundle(render(matrix, "aerleon", host="rtr-a").text)
    roles = {n: v for n, v in definitions["networks"].items() if n.startswith("ROLE_")}
    assert roles
    for name, network in roles.items():
        members = {value["name"] for value in network["values"]}
        holders = {
            token(host)
            for host, endpoint in matrix.endpoints.items()
            if any(f"ROLE_{token(role)}" == name for role in endpoint.roles)
        }
        assert members == holders, name


def test_the_folder_is_what_aclgen_reads(tmp_path: Path) -> None:
    aclgen = Path(sys.executable).with_name("aclgen")
    if not aclgen.exists():
        pytest.skip("aerleon is not installed (pip install 'portmatrix[aerleon]')")
    folder = tmp_path / "aerleon"
    result = CliRunner().invoke(
        main,
        ["render", "aerleon", str(EXAMPLE), "-o", f"{folder}/", "--skip-unbound", "-q"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    policies = sorted(p.stem for p in (folder / "policies" / "pol").glob("*.yaml"))
    assert sorted(p.name for p in (folder / "def").iterdir()) == ["networks.yaml", "services.yaml"]
    assert "rtr-a" in policies and (folder / "index.json").is_file()
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run(
        [
            str(aclgen),
            f"--base_directory={folder / 'policies'}",
            f"--definitions_directory={folder / 'def'}",
            f"--output_directory={out}",
            "--max_renderers=1",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    generated = sorted(p.name for p in out.iterdir())
    assert generated == sorted([*policies, *(f"{name}.nft" for name in policies)])
    nft = (out / "rtr-a.nft").read_text(encoding="utf-8")
    assert "40047" in nft and "echo-request" in nft
