"""Ruleset readers are a plugin kind: built-ins found from code, others through entry points."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portmatrix.check import RulesetReader, RulesetType, parse_ruleset
from portmatrix.check.readers import READERS, reader
from portmatrix.check.ruleset import Ruleset
from portmatrix.errors import LookupFailure, PluginError
from portmatrix.plugins import PluginRef


class CsvReader:
    """A toy format for the test: ``accept,PORT`` lines become an INPUT chain."""

    name = "toy-csv"
    description = "accept,PORT per line"

    def read(self, text: str, *, name: str) -> Ruleset:
        return parse_ruleset(
            "*filter\n:INPUT DROP [0:0]\n"
            + "".join(
                f"-A INPUT -p tcp --dport {line.split(',')[1]} -j ACCEPT\n" for line in text.split()
            )
            + "COMMIT\n",
            ruleset_type=RulesetType.IPTABLES_SAVE,
            name=name,
        )


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[PluginRef]]:
    refs: list[PluginRef] = []
    monkeypatch.setattr(READERS, "discover", lambda group: list(refs))
    READERS.reset()
    yield refs
    READERS.reset()


def test_builtin_readers_are_found_without_package_metadata(installed: list[PluginRef]) -> None:
    assert READERS.names() == sorted(t.value for t in RulesetType)
    for name in READERS.names():
        found = reader(name)
        assert isinstance(found, RulesetReader) and found.name == name and found.description


def test_an_installed_reader_reads_its_format(installed: list[PluginRef]) -> None:
    installed.append(PluginRef("toy-csv", f"{__name__}:CsvReader", "toy-dist"))
    ruleset = parse_ruleset("accept,22\n", ruleset_type="toy-csv", name="rules.csv")
    assert [rule.origin.text for rule in ruleset.chains["INPUT"].rules] == [
        "-A INPUT -p tcp --dport 22 -j ACCEPT"
    ]


def test_two_readers_for_one_name_are_refused(installed: list[PluginRef]) -> None:
    installed.append(PluginRef("asa", f"{__name__}:CsvReader", "toy-dist"))
    with pytest.raises(PluginError, match="two ruleset readers claim the name 'asa'"):
        reader("asa")


def test_unknown_format_names_the_close_ones(installed: list[PluginRef]) -> None:
    with pytest.raises(LookupFailure) as caught:
        reader("iptables-sav")
    assert "iptables-save" in caught.value.candidates
