"""Stand-in listeners, on loopback addresses only; and the `emulate` command end to end."""

from __future__ import annotations

import asyncio
import errno
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portmatrix.errors import LookupFailure, VerifyError
from portmatrix.model import Endpoint, Exposure, Flow, Matrix, Protocol
from portmatrix.verify import (
    Emulator,
    ListenPort,
    Sampling,
    StartReport,
    emulator_for,
    limits,
    token,
)
from portmatrix.verify.emulate import SourceFilter, _Gate, _TokenStream
from portmatrix.verify.sockets import PROBE_PAYLOAD

HOST = "127.55.0.11"  # a loopback address of our own, so no other test's listener is in the way
OTHER = "127.55.0.12"
TCP, UDP = Protocol.TCP, Protocol.UDP

# Unity Connection table 1-1 (seed 000_e0967b9895897e12.txt): cluster ports, RTP, license server.
MATRIX = Matrix(
    "loopback",
    {"cuc-pub": Endpoint("cuc-pub", f"{HOST}/32"), "phones": Endpoint("phones", "127.56.0.0/24")},
    (
        Flow("cuc-sub", "cuc-pub", TCP, 20500, 20502, "cuc.conversation-manager.cluster"),
        Flow("phones", "cuc-pub", UDP, 16384, 21511, "cuc.mixer.rtp", "127.56.0.0/24"),
        Flow(
            "cuc-pub",
            "cuc-pub",
            TCP,
            20055,
            20055,
            "cuc.license-server",
            exposure=Exposure.LOCAL_ONLY,
        ),
        Flow("cuc-pub", "cuc-pub", TCP, 22, 22, "cuc.ssh"),
    ),
)


async def read_tcp_token(address: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(address, port)
    try:
        return await asyncio.wait_for(reader.readline(), 2)
    finally:
        writer.close()
        await writer.wait_closed()


PHONE = "127.56.0.9"  # inside the matrix's phones network: a source the emulator answers


async def ask_udp(
    address: str, port: int, *, source: str = PHONE, payload: bytes = PROBE_PAYLOAD
) -> bytes:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.bind((source, 0))
        sock.connect((address, port))
        await loop.sock_sendall(sock, payload)
        return await asyncio.wait_for(loop.sock_recv(sock, 512), 2)


def run_with(emulator: Emulator, scenario: Any) -> Any:
    async def main() -> Any:
        async with emulator as report:
            return report, await scenario()

    return asyncio.run(main())


def test_tcp_listeners_send_a_token_naming_port_and_rule() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", sampling=Sampling(4))
    report, line = run_with(emulator, lambda: read_tcp_token(HOST, 20501))
    assert line == b"portmatrix cuc-pub tcp/20501 cuc.conversation-manager.cluster\n"
    assert report.listening + len(report.privileged) == len(emulator.ports)  # 22 needs root


def test_udp_listeners_answer_with_the_token() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", sampling=Sampling(4))
    _, reply = run_with(emulator, lambda: ask_udp(HOST, 21511))
    assert reply == b"portmatrix cuc-pub udp/21511 cuc.mixer.rtp\n"


def test_udp_listeners_answer_no_source_outside_the_inventory() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", sampling=Sampling(4))
    with pytest.raises(TimeoutError):  # 127.0.0.9 is nobody in the inventory: no reflection
        run_with(emulator, lambda: ask_udp(HOST, 21511, source="127.0.0.9"))


def test_udp_replies_are_never_larger_than_the_request() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", sampling=Sampling(4))
    _, reply = run_with(emulator, lambda: ask_udp(HOST, 21511, payload=b"x" * 10))
    assert reply == b"portmatrix"  # cut to the request's 10 bytes
    with pytest.raises(TimeoutError):  # an empty datagram gets nothing at all
        run_with(emulator_for(MATRIX, "cuc-pub"), lambda: ask_udp(HOST, 21511, payload=b""))


def test_a_network_is_emulated_at_its_probe_address_only() -> None:
    phones = Endpoint("phones", "127.56.0.0/24", probe_address="127.56.0.20")
    matrix = Matrix("m", {**MATRIX.endpoints, "phones": phones}, MATRIX.flows)
    assert emulator_for(matrix, "phones").addresses == ["127.56.0.20"]


def test_local_only_ports_are_emulated_so_a_missing_block_shows() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub")
    _, line = run_with(emulator, lambda: read_tcp_token(HOST, 20055))
    assert b"cuc.license-server" in line


def test_only_the_addresses_asked_for_are_bound() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", bind=[OTHER])

    async def elsewhere() -> None:
        await read_tcp_token(OTHER, 20500)
        with pytest.raises(ConnectionRefusedError):
            await read_tcp_token(HOST, 20500)

    run_with(emulator, elsewhere)


def test_large_ranges_are_sampled_with_both_ends() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", sampling=Sampling(5))
    udp = [listen.port for listen in emulator.ports if listen.protocol is UDP]
    assert udp[0] == 16384 and udp[-1] == 21511 and len(udp) == 5


def test_listeners_close_when_the_emulator_stops() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", sampling=Sampling(4))
    run_with(emulator, lambda: read_tcp_token(HOST, 20500))
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect((HOST, 20500))


class RefusingLowPorts(socket.socket):
    """Binds like an unprivileged process: ports below 1024 are refused."""

    def bind(self, address: Any) -> None:
        if address[1] < 1024:
            raise PermissionError(errno.EACCES, "Permission denied")
        super().bind(address)


def test_privileged_ports_are_listed_in_one_message_and_the_rest_run() -> None:
    emulator = emulator_for(
        MATRIX, "cuc-pub", sampling=Sampling(4), socket_factory=RefusingLowPorts
    )
    report, line = run_with(emulator, lambda: read_tcp_token(HOST, 20500))
    assert report.privileged == (f"tcp/22 on {HOST}",)
    assert report.listening == len(emulator.ports) - 1
    [message] = report.problems()
    assert "below 1024" in message and "tcp/22" in message and "are running" in message
    assert line.startswith(b"portmatrix cuc-pub tcp/20500")


def test_a_port_already_in_use_is_reported_and_skipped() -> None:
    with socket.socket() as squatter:
        squatter.bind((HOST, 20502))
        squatter.listen()
        report, _ = run_with(emulator_for(MATRIX, "cuc-pub"), lambda: asyncio.sleep(0))
    assert report.in_use == (f"tcp/20502 on {HOST}",)
    assert "already in use" in report.problems()[0]


def test_nothing_bindable_is_an_error() -> None:
    only_low = [ListenPort(TCP, 22, ("cuc.ssh",))]
    emulator = Emulator(
        "cuc-pub",
        only_low,
        addresses=[HOST],
        sources=SourceFilter.of(MATRIX),
        socket_factory=RefusingLowPorts,
    )
    with pytest.raises(VerifyError, match="no listener for cuc-pub"):
        run_with(emulator, lambda: asyncio.sleep(0))


def test_an_address_of_another_machine_is_refused() -> None:
    emulator = emulator_for(MATRIX, "cuc-pub", bind=["192.0.2.1"])
    with pytest.raises(VerifyError, match="not an address of this machine"):
        run_with(emulator, lambda: asyncio.sleep(0))


def test_a_network_needs_an_address_to_bind() -> None:
    with pytest.raises(VerifyError, match=r"is a network.*--bind"):
        emulator_for(MATRIX, "phones")
    with pytest.raises(VerifyError, match="not an IP address"):
        emulator_for(MATRIX, "cuc-pub", bind=["cuc-pub.example"])
    with pytest.raises(LookupFailure):
        emulator_for(MATRIX, "cuc-zz")


class FakeTransport:
    def __init__(self) -> None:
        self.written = b""
        self.aborted = self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True


def test_connections_beyond_the_limit_are_reset_not_queued() -> None:
    gate = _Gate(limit=1)
    first, second = _TokenStream(b"token\n", gate), _TokenStream(b"token\n", gate)
    one, two = FakeTransport(), FakeTransport()
    first.connection_made(one)  # type: ignore[arg-type]
    second.connection_made(two)  # type: ignore[arg-type]
    assert (one.written, one.closed, two.aborted, two.written) == (b"token\n", True, True, b"")
    second.connection_lost(None)
    first.connection_lost(None)
    assert gate.active == 0


def test_the_token_format() -> None:
    listen = ListenPort(UDP, 39500, ("cce.router.mds-private", "cce.pg.mds-private"))
    assert (
        token("rtr-a", listen)
        == b"portmatrix rtr-a udp/39500 cce.router.mds-private,cce.pg.mds-private\n"
    )


# --------------------------------------------------------------------------- open-files limit


@pytest.fixture
def rlimit(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"limit": (1024, 4096), "hard_ceiling": 4096}

    def getrlimit(_: int) -> tuple[int, int]:
        return state["limit"]  # type: ignore[no-any-return]

    def setrlimit(_: int, value: tuple[int, int]) -> None:
        if value[1] > state["hard_ceiling"] or value[0] > value[1]:
            raise ValueError("not allowed")
        state["limit"] = value

    monkeypatch.setattr(resource, "getrlimit", getrlimit)
    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    yield state


def test_the_limit_is_raised_as_far_as_needed(rlimit: dict[str, Any]) -> None:
    assert limits.ensure_open_files(3000, what="x", advice="y") == 3000 + limits.HEADROOM
    assert rlimit["limit"] == (3000 + limits.HEADROOM, 4096)


def test_a_limit_that_cannot_be_raised_enough_is_said_plainly(rlimit: dict[str, Any]) -> None:
    with pytest.raises(
        VerifyError,
        match=r"emulating cuc-pub needs 9064 open files but the limit is 4096.*lower --sample",
    ):
        limits.ensure_open_files(9000, what="emulating cuc-pub", advice="lower --sample")
    assert rlimit["limit"] == (4096, 4096)  # still raised as far as allowed


def test_root_may_lift_the_hard_limit(rlimit: dict[str, Any]) -> None:
    rlimit["hard_ceiling"] = 100_000
    assert limits.ensure_open_files(9000, what="x", advice="y") == 9000 + limits.HEADROOM


# --------------------------------------------------------------------------- the command

INVENTORY = """\
name: loopback-cuc
options: {exchange: "none", ipsec: false, sip_ports: "5060-5100"}
hosts:
  - name: cuc-pub
    address: 127.55.1.11
    roles: [{role: cuc.server, cluster: cuc1, node: publisher}]
  - name: cuc-sub
    address: 127.55.1.12
    roles: [{role: cuc.server, cluster: cuc1, node: subscriber}]
"""


def start_emulate(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    argv = [sys.executable, "-c", "from portmatrix.cli import main; main()"]
    return subprocess.Popen(
        [*argv, "emulate", str(inventory), "--host", "cuc-pub", "--sample", "4", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_emulate_prints_ready_and_stops_cleanly_on_a_signal(tmp_path: Path, stop: int) -> None:
    process = start_emulate(tmp_path)
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        line = asyncio.run(read_tcp_token("127.55.1.11", 20500))
        assert line.startswith(b"portmatrix cuc-pub tcp/20500 ")
        process.send_signal(stop)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + stop, err  # 130 for SIGINT, 143 for SIGTERM
    assert "listeners up" in err and "Traceback" not in err
    assert err.splitlines()[-1] == f"portmatrix: interrupted by {signal.Signals(stop).name}"
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.55.1.11", 20500))


def test_emulate_reports_errors_in_one_line(tmp_path: Path) -> None:
    process = start_emulate(tmp_path, "--bind", "192.0.2.1")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert err.strip().splitlines() == [
        "portmatrix: error: 192.0.2.1 is not an address of this machine; pass --bind with one that is"
    ]
    assert out == ""


def test_start_report_without_problems_says_nothing() -> None:
    assert StartReport(12).problems() == []
