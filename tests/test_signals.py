"""SIGINT and SIGTERM during `probe` and `verify --lab`, and `probe` with no route, in real
subprocesses: one line, no traceback, no "Task exception was never retrieved", namespaces
removed, nothing written, exit 130 / 143 (issue 10, item 6). `emulate` is covered in
test_emulate.py.

Every address used here lives inside a namespace the test creates and removes.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portmatrix.netns import Netns, unavailable_reason

REASON = unavailable_reason("nft")
pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=f"needs namespaces: {REASON}"),
]

PORTMATRIX = [sys.executable, "-c", "from portmatrix.cli import main; main()"]
SOURCE, TARGET = "10.231.0.1", "10.231.0.2"

# Two Unity Connection nodes of one cluster (table 1-1): many documented ports between them.
# The lab names a namespace after the first six letters of its host: a tag of this run's own
# keeps another suite running beside this one (a second checkout, CI on the same machine) from
# being counted as ours.
TAG = "s" + secrets.token_hex(3)[:5]
INVENTORY = f"""\
name: signals
options: {{exchange: "none", ipsec: false, sip_ports: "5060-5100"}}
hosts:
  - name: sigtst-pub
    address: {TARGET}
    roles: [{{role: cuc.server, cluster: c1, node: publisher}}]
  - name: sigtst-sub
    address: {SOURCE}
    roles: [{{role: cuc.server, cluster: c1, node: subscriber}}]
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY.replace("sigtst-", f"{TAG}-"), encoding="utf-8")
    return path


@pytest.fixture
def silent_target() -> Iterator[Netns]:
    """A namespace holding both addresses, whose input drops everything sent to the target."""
    with Netns() as ns:
        ns.run(["ip", "address", "add", f"{SOURCE}/32", "dev", "lo"])
        ns.run(["ip", "address", "add", f"{TARGET}/32", "dev", "lo"])
        ns.run(
            ["nft", "-f", "-"],
            input=f"table inet t {{\n chain input {{\n  type filter hook input priority 0;\n"
            f"  ip daddr {TARGET} drop\n }}\n}}\n",
        )
        yield ns


def wait_for(condition: Callable[[], bool], *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the command never got under way")
        time.sleep(0.05)


def stop(process: subprocess.Popen[str], number: int) -> tuple[str, str]:
    process.send_signal(number)
    try:
        return process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def assert_one_line_stop(err: str, code: int, number: int) -> None:
    assert code == 128 + number, err
    assert "Traceback" not in err and "never retrieved" not in err
    assert err.strip().splitlines() == [f"portmatrix: interrupted by {signal.Signals(number).name}"]


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_probe(
    inventory: Path, silent_target: Netns, tmp_path: Path, number: int
) -> None:
    report = tmp_path / "report.json"
    process = silent_target.popen(
        [*PORTMATRIX, "probe", str(inventory), "--from", f"{TAG}-sub", "--timeout", "5",
         "--format", "json", "-o", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip

    def probing() -> bool:
        sent = silent_target.run(["ss", "-Htn", "state", "syn-sent"], check=False).stdout
        return TARGET in sent

    wait_for(probing)
    _, err = stop(process, number)
    assert_one_line_stop(err, process.returncode, number)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["inventory.yaml"]
    assert not silent_target.run(["ss", "-Htan"], check=False).stdout.count(f"{TARGET}:")


def test_probe_with_no_route_is_one_line_exit_2(inventory: Path) -> None:
    with Netns() as ns:  # the source address on loopback, and no route to anywhere else
        ns.run(["ip", "address", "add", f"{SOURCE}/32", "dev", "lo"])
        done = ns.run(
            [*PORTMATRIX, "probe", str(inventory), "--from", f"{TAG}-sub", "--timeout", "0.5"],
            check=False,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "never retrieved" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "portmatrix: error: this machine has no route to the destination (network "
        "unreachable); run the probe on the host that --from names, or add the route"
    ]


def namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_lab_removes_every_namespace(
    inventory: Path, tmp_path: Path, number: int
) -> None:
    ours = f"pm-{TAG}-"
    before = namespaces()
    # One check at a time keeps the lab probing for minutes: with the default width it can
    # finish within the second this test waits, and the signal would then meet a process
    # already on its way out.
    process = subprocess.Popen(
        [*PORTMATRIX, "verify", str(inventory), "--lab", "--timeout", "5", "--concurrency", "1",
         "-o", str(tmp_path / "lab.txt")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    wait_for(lambda: sum(name.startswith(ours) for name in namespaces() - before) == 2)
    time.sleep(1.0)  # rules loaded, emulators up, probes under way
    _, err = stop(process, number)
    assert_one_line_stop(err, process.returncode, number)
    assert not {name for name in namespaces() - before if name.startswith(ours)}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["inventory.yaml"]
