"""Packs validated against themselves, each fault at the pack's own file and line (issue 10,
item 2). Every case is one small edit to the ACME test pack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portmatrix.catalog import PackText, load_catalog
from portmatrix.errors import CatalogError
from portmatrix.project import InventoryText, Project

ACME = (Path(__file__).parent / "data" / "acme-pack.yaml").read_text(encoding="utf-8")


def edited(old: str, new: str) -> tuple[str, int]:
    """The ACME pack with ``old`` replaced once by ``new``, and the line the edit is on."""
    assert ACME.count(old) >= 1, old
    at = ACME.index(old)
    return ACME[:at] + new + ACME[at + len(old) :], ACME[:at].count("\n") + 1


CASES = [
    (
        "same: [instance], other: [side]",
        "same: [instnace], other: [side]",
        "same: 'instnace' is never compared: role 'acme.switch' declares no parameter 'instnace'",
    ),
    (
        "same: [cluster]",
        "same: [cluster], other: [side]",
        "other: 'side' is never compared: role 'acme.vault' declares no parameter 'side'",
    ),
    (
        "same: [instance], other: [side]",
        "same: [instance, side], other: [side]",
        "side is in both same and other",
    ),
    (
        "when: {acme_qos: false}",
        'when: {acme_qos: "flase"}',
        "condition acme_qos: 'flase' can never hold: option 'acme_qos' must be true or false",
    ),
    (
        "when: {acme_qos: true}",
        "when: {acme_qos: [true, 3]}",
        "condition acme_qos: 3 can never hold",
    ),
    (
        "role: {role: acme.switch}\n    peers: [{role: acme.console}]\n    ports: [{protocol: tcp, "
        'ports: "50007',
        "role: {role: acme.switch, where: {side: C}}\n    peers: [{role: acme.console}]\n    ports:"
        ' [{protocol: tcp, ports: "50007',
        "role 'acme.switch' parameter 'side' must be one of A, B, so where: side: 'C' selects nothing",
    ),
    (
        "instance: {type: int, min: 0, max: 24, default: 0}",
        "instance: {type: int, min: 0, max: 24, default: 25}",
        "role 'acme.switch' parameter 'instance': the default 25 is outside 0-24",
    ),
    (
        "instance: {type: int, min: 0, max: 24, default: 0}",
        "instance: {type: int, min: 30, max: 24}",
        "min 30 is above max 24",
    ),
    (
        "side: {type: choice, choices: [A, B], required: true}",
        "side: {type: choice, choices: [A, B], default: C}",
        "role 'acme.switch' parameter 'side': the default 'C' must be one of A, B",
    ),
    (
        "side: {type: choice, choices: [A, B], required: true}",
        "side: {type: choice}",
        "parameter 'side' is a choice with no choices",
    ),
    (
        "cluster: {type: str, required: true}",
        "cluster: {type: str, choices: [a, b]}",
        "has choices but is of type str",
    ),
    (
        "acme_qos: {type: bool, default: false,",
        'acme_qos: {type: bool, default: "no",',
        "option 'acme_qos': the default 'no' must be true or false",
    ),
    (
        'acme_sip: {type: ports, default: "5060-5062",',
        'acme_sip: {type: ports, default: "5060-99999",',
        "option 'acme_sip': the default '5060-99999' is not a port list",
    ),
    (
        "instance: {type: int, min: 0, max: 24, default: 0}",
        "instance: {type: int, min: 0, max: 400, default: 0}",
        "gives 65564, outside 1-65535 at instance 389 with the packs' own defaults",
    ),
]
#: Where a fault is reported when that is not the edited line: the formula, not the role.
AT = {"gives 65564": '"50004 + instance * 40"'}


@pytest.mark.parametrize(("old", "new", "message"), CASES)
def test_a_pack_that_contradicts_itself_is_refused_at_its_line(
    old: str, new: str, message: str
) -> None:
    text, line = edited(old, new)
    at = next((AT[key] for key in AT if key in message), None)
    if at is not None:
        line = text[: text.index(at)].count("\n") + 1
    with pytest.raises(CatalogError) as caught:
        load_catalog([PackText(text, name="acme.yaml")])
    assert message in caught.value.message
    assert caught.value.file == "acme.yaml"
    assert caught.value.line is not None and line <= caught.value.line <= line + 3


def test_the_unedited_pack_and_the_bundled_packs_pass() -> None:
    catalog = load_catalog([PackText(ACME, name="acme.yaml")], bundled=False)
    assert "acme.switch.sync" in catalog.by_id
    load_catalog(bundled=True)


def test_a_bad_formula_default_names_the_pack_not_the_inventory() -> None:
    text, _ = edited(
        "acme_base: {type: int, description:", "acme_base: {type: int, default: 65530, description:"
    )
    text = text.replace('"acme_base + instance"', '"acme_base + instance * 10"')
    with pytest.raises(CatalogError) as caught:
        _ = Project(
            InventoryText(
                "name: t\nhosts: [{name: s, address: 10.0.0.1, roles: [{role: acme.switch, side: A}]}]\n"
            ),
            catalogs=[PackText(text, name="acme.yaml")],
        ).matrix
    assert caught.value.file == "acme.yaml"
    assert re.search(r"gives 655\d\d, outside 1-65535 at instance 1", caught.value.message)
