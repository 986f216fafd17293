"""``portmatrix check`` through the CLI: the JSON contract, exit statuses, formats, errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix.cli import main
from portmatrix.render import render
from portmatrix.resolve import resolve_file

INVENTORY = str(Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml")
TRAFFIC_FIELDS = {"src", "dst", "protocol", "port_start", "port_end"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def rules() -> list[str]:
    """The iptables rules portmatrix renders for rtr-a, as lines."""
    return render(
        resolve_file(INVENTORY), "iptables", host="rtr-a", skip_unbound=True, force=True
    ).text.splitlines()


def write(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "rtr-a.rules"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def check(path: str, *extra: str) -> tuple[int, str, str]:
    return run(
        "check", INVENTORY, "--ruleset", path, "--type", "iptables-save", "--host", "rtr-a", *extra
    )


def test_clean_rules_exit_zero_with_an_empty_list(tmp_path: Path, rules: list[str]) -> None:
    code, out, _ = check(write(tmp_path, rules), "--format", "json", "--strict")
    result = json.loads(out)
    assert (code, result["findings"], result["kind"]) == (0, [], "check")
    assert result["scope"]["host"] == "rtr-a" and result["scope"]["type"] == "iptables-save"
    assert result["summary"]["flows"] == result["summary"]["allowed"] > 0


def with_any_any(rules: list[str], rule: str = "-A INPUT -j ACCEPT") -> list[str]:
    commit = max(i for i, line in enumerate(rules) if line == "COMMIT")
    return [*rules[:commit], rule, *rules[commit:]]


def test_excess_is_a_finding_and_follows_the_contract(tmp_path: Path, rules: list[str]) -> None:
    path = write(tmp_path, with_any_any(rules))
    code, out, _ = check(path, "--format", "json")
    result = json.loads(out)
    findings = result["findings"]
    assert code == 1 and findings
    assert result["summary"]["findings"]["excess"] == len(findings)
    line = with_any_any(rules).index("-A INPUT -j ACCEPT") + 1
    for finding in findings:
        assert finding["kind"] == "excess" and finding["line"] == line
        assert finding["rule_text"] == "-A INPUT -j ACCEPT"
        assert set(finding) >= TRAFFIC_FIELDS
        assert (finding["src"], finding["dst"]) == ("any", "rtr-a")
        assert f"line {line} opens {finding['protocol']}/" in finding["message"]
    assert check(path, "--format", "json", "--strict")[0] == 1


def test_a_blocked_flow_fails(tmp_path: Path, rules: list[str]) -> None:
    index = next(
        i for i, line in enumerate(rules) if line.startswith("-A INPUT -s ") and "-p tcp" in line
    )
    code, out, _ = check(write(tmp_path, rules[:index] + rules[index + 1 :]), "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert {finding["kind"] for finding in findings} == {"blocked"}
    policy = next(i for i, line in enumerate(rules, start=1) if line.startswith(":INPUT DROP"))
    for finding in findings:
        assert set(finding) >= TRAFFIC_FIELDS
        assert finding["line"] == policy and finding["rules"]
        assert finding["port_start"] <= finding["port_end"]


def test_table_and_junit(tmp_path: Path, rules: list[str]) -> None:
    index = next(
        i for i, line in enumerate(rules) if line.startswith("-A INPUT -s ") and "-p tcp" in line
    )
    path = write(
        tmp_path,
        with_any_any(rules[:index] + rules[index + 1 :], "-A INPUT -p tcp --dport 9 -j ACCEPT"),
    )
    code, out, _ = check(path)
    assert code == 1 and out.splitlines()[0].split()[:3] == ["KIND", "LINE", "SRC"]
    assert "blocked" in out and "excess" in out and "required flows (traffic to rtr-a)" in out
    code, out, _ = check(path, "--format", "junit", "--strict")
    suites = ET.fromstring(out)
    flows, ruleset = suites.findall("testsuite")
    assert int(flows.get("failures", "0")) > 0 and int(flows.get("tests", "0")) > int(
        flows.get("failures", "0")
    )
    assert int(ruleset.get("failures", "0")) == len(ruleset.findall("testcase")) > 0
    code, out, _ = check(path, "--format", "junit")
    ruleset = ET.fromstring(out).findall("testsuite")[1]
    assert code == 1 and ruleset.get("failures") == "1"  # the excess opening


def test_output_file(tmp_path: Path, rules: list[str]) -> None:
    report = tmp_path / "report.json"
    code, out, _ = check(write(tmp_path, rules), "--format", "json", "-o", str(report))
    assert code == 0 and out == "" and json.loads(report.read_text())["findings"] == []


def test_a_host_judged_on_no_flow_says_so(tmp_path: Path) -> None:
    text = render(
        resolve_file(INVENTORY), "iptables", host="cvp-1", skip_unbound=True, force=True
    ).text
    path = tmp_path / "cvp-1.rules"
    path.write_text(text, encoding="utf-8")
    args = ["check", INVENTORY, "--ruleset", str(path), "--type", "iptables-save"]
    code, out, err = run(*args, "--host", "cvp-1", "--format", "json")
    result = json.loads(out)
    assert result["summary"]["flows"] == 0 and "nothing was judged" in err
    assert code == 0
    code, out, err = run(*args, "--host", "cvp-1", "--strict")
    assert code == 1 and "nothing was judged" in out and "nothing was judged" in err


def test_a_large_ruleset_reports_its_stages_in_a_pipe(
    tmp_path: Path, rules: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from portmatrix.cli import check_cmd

    path = write(tmp_path, rules)
    assert "reading" not in check(path)[2]  # a small file in a pipe: no stage lines
    monkeypatch.setattr(check_cmd, "LARGE_RULESET", 0)
    code, _, err = check(path)
    lines = err.splitlines()
    assert code == 0 and lines[0].startswith("portmatrix: reading rtr-a.rules: 0 done in ")
    assert lines[1].startswith("portmatrix: checking ") and "done in" in lines[1]
    assert "reading" not in check(path, "--quiet")[2]
