"""The probe core, its pacing, how errors become verdicts, and the socket backend on loopback."""

from __future__ import annotations

import asyncio
import errno
import socket
import struct
from collections.abc import Iterator
from dataclasses import replace

import pytest

from portmatrix.errors import VerifyError
from portmatrix.model import Protocol
from portmatrix.verify import (
    DestinationPacer,
    Expected,
    FakeBackend,
    Observed,
    Probe,
    Result,
    RoundTrips,
    SocketBackend,
    run_probes,
)
from portmatrix.verify.icmp import IcmpError, classify, parse_extended_error
from portmatrix.verify.probe import spread_by_destination


def make_probe(
    port: int = 40007,
    *,
    address: str = "10.61.1.11",
    protocol: Protocol = Protocol.TCP,
    expected: Expected = Expected.OPEN,
) -> Probe:
    return Probe("aw-1", "rtr-a", address, protocol, port, expected, "cce.router.rtfeed")


# --------------------------------------------------------------------------- verdicts

OK_TABLE = [
    (Expected.OPEN, Observed.OPEN, True),
    (Expected.OPEN, Observed.CLOSED, False),
    (Expected.OPEN, Observed.BLOCKED, False),
    (Expected.OPEN, Observed.FILTERED, False),
    (Expected.BLOCKED, Observed.OPEN, False),
    (Expected.BLOCKED, Observed.CLOSED, False),  # reached the host: no firewall stopped it
    (Expected.BLOCKED, Observed.BLOCKED, True),
    (Expected.BLOCKED, Observed.FILTERED, True),
]


@pytest.mark.parametrize(("expected", "observed", "ok"), OK_TABLE)
def test_ok_means_the_wire_matches_the_matrix(
    expected: Expected, observed: Observed, ok: bool
) -> None:
    assert Result(make_probe(expected=expected), observed).ok is ok


def test_result_json_has_exactly_the_documented_fields() -> None:
    record = Result(make_probe(), Observed.OPEN, "connected").as_dict()
    assert record == {
        "src": "aw-1",
        "dst": "rtr-a",
        "src_address": None,
        "dst_address": "10.61.1.11",
        "protocol": "tcp",
        "port": 40007,
        "expected": "open",
        "observed": "open",
        "ok": True,
        "rule": "cce.router.rtfeed",
    }


# --------------------------------------------------------------------------- the core


def test_results_come_back_in_the_order_given() -> None:
    probes = [make_probe(port, address=f"10.0.0.{port % 3}") for port in range(1000, 1030)]
    backend = FakeBackend({("10.0.0.1", "tcp", 1003): Observed.OPEN}, default=Observed.CLOSED)
    results = asyncio.run(run_probes(probes, backend, concurrency=4))
    assert [result.probe for result in results] == probes
    assert [r.probe.port for r in results if r.observed is Observed.OPEN] == [1003]


@pytest.mark.parametrize("concurrency", [1, 3, 50])
def test_concurrency_is_bounded(concurrency: int) -> None:
    probes = [make_probe(port) for port in range(2000, 2040)]
    backend = FakeBackend({}, default=Observed.OPEN)
    asyncio.run(run_probes(probes, backend, concurrency=concurrency))
    assert backend.most_in_flight == min(concurrency, len(probes))
    assert len(backend.checked) == len(probes)  # all ok: nothing is checked twice


def test_a_failure_is_checked_again_before_it_is_reported() -> None:
    seen: set[int] = set()

    def late_the_first_time(probe: Probe) -> Observed:
        first = probe.port not in seen
        seen.add(probe.port)
        return Observed.FILTERED if first else Observed.OPEN

    probes = [make_probe(port) for port in (1, 2, 3)]
    backend = FakeBackend(late_the_first_time)
    results = asyncio.run(run_probes(probes, backend))
    assert all(result.ok for result in results)
    assert len(backend.checked) == 6


def test_a_steady_failure_is_reported() -> None:
    backend = FakeBackend({}, default=Observed.FILTERED)
    results = asyncio.run(run_probes([make_probe()], backend))
    assert [result.observed for result in results] == [Observed.FILTERED]
    assert not results[0].ok


def test_progress_is_reported_once_per_check() -> None:
    seen: list[Result] = []
    probes = [make_probe(port) for port in range(10)]
    asyncio.run(run_probes(probes, FakeBackend({}), on_result=seen.append))
    assert len(seen) == len(probes)


def test_a_backend_error_stops_the_run_and_surfaces_as_itself() -> None:
    class Broken:
        async def check(self, probe: Probe) -> Result:
            raise VerifyError("out of sockets")

    with pytest.raises(VerifyError, match="out of sockets"):
        asyncio.run(run_probes([make_probe(port) for port in range(5)], Broken(), concurrency=2))


def test_an_empty_plan_runs_nothing() -> None:
    assert asyncio.run(run_probes([], FakeBackend({}))) == []


def test_checks_take_turns_across_destinations_in_a_repeatable_order() -> None:
    probes = [make_probe(port, address="a") for port in range(6)]
    probes += [make_probe(port, address="b") for port in range(6, 9)]
    order = list(spread_by_destination(probes))
    assert sorted(order) == list(range(len(probes)))
    addresses = [probes[index].dst_address for index in order]
    assert addresses[:6] == ["a", "b"] * 3  # in turn while both have checks left
    assert order == list(spread_by_destination(probes))
    assert [probes[i].port for i in order if probes[i].dst_address == "a"] != list(range(6))


# --------------------------------------------------------------------------- pacing


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def busy_pacer(clock: Clock, *, rate: float = 10, burst: int = 3) -> DestinationPacer:
    pacer = DestinationPacer(rate=rate, burst=burst, calm=100, clock=clock)
    for _ in range(50):  # 50 ICMP errors at one instant: far above 100 per second
        pacer.heard_icmp("10.0.0.1")
    return pacer


def test_a_destination_sending_no_icmp_is_not_paced() -> None:
    pacer = DestinationPacer(rate=10, burst=1, clock=Clock())
    assert [pacer.reserve("10.0.0.1") for _ in range(100)] == [0.0] * 100
    assert not pacer.busy("10.0.0.1")


def test_a_destination_busy_with_icmp_gets_a_burst_then_spaced_sends() -> None:
    pacer = busy_pacer(Clock())
    assert pacer.busy("10.0.0.1")
    delays = [pacer.reserve("10.0.0.1") for _ in range(5)]
    assert delays == pytest.approx([0, 0, 0, 0.1, 0.2])


def test_pacing_is_per_destination() -> None:
    pacer = busy_pacer(Clock(), burst=1)
    assert pacer.reserve("10.0.0.1") == 0
    assert pacer.reserve("10.0.0.2") == 0
    assert pacer.reserve("10.0.0.2") == 0
    assert pacer.reserve("10.0.0.1") == pytest.approx(0.1)


def test_pacing_stops_when_the_icmp_dies_down() -> None:
    clock = Clock()
    pacer = busy_pacer(clock, burst=1)
    pacer.reserve("10.0.0.1")
    clock.now += 2
    assert not pacer.busy("10.0.0.1")
    assert pacer.reserve("10.0.0.1") == 0


def test_pacer_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        DestinationPacer(rate=0)


# --------------------------------------------------------------------------- reading errors

ICMP_CORPUS = [
    (IcmpError(2, 3, 3, "10.0.0.2"), Observed.CLOSED, "port unreachable"),
    (IcmpError(2, 3, 13, "10.0.0.2"), Observed.BLOCKED, "administratively prohibited"),
    (IcmpError(2, 3, 10, None), Observed.BLOCKED, "administratively prohibited"),
    (IcmpError(2, 3, 9, None), Observed.BLOCKED, "administratively prohibited"),
    (IcmpError(2, 3, 1, "10.0.0.1"), Observed.FILTERED, "unreachable"),
    (IcmpError(2, 11, 0, "10.0.0.254"), Observed.FILTERED, "not a destination-unreachable"),
    (IcmpError(3, 1, 4, "2001:db8::2"), Observed.CLOSED, "port unreachable"),
    (IcmpError(3, 1, 1, "2001:db8::2"), Observed.BLOCKED, "administratively prohibited"),
    (IcmpError(3, 1, 5, None), Observed.BLOCKED, "administratively prohibited"),
    (IcmpError(3, 1, 3, None), Observed.FILTERED, "unreachable"),
]


@pytest.mark.parametrize(("icmp", "observed", "words"), ICMP_CORPUS)
def test_icmp_messages_become_verdicts(icmp: IcmpError, observed: Observed, words: str) -> None:
    verdict, detail = classify(OSError(errno.EHOSTUNREACH, "No route to host"), icmp)
    assert verdict is observed
    assert words in detail
    if icmp.sender:
        assert icmp.sender in detail


@pytest.mark.parametrize(
    ("code", "observed"),
    [
        (errno.ECONNREFUSED, Observed.CLOSED),
        (errno.EPERM, Observed.BLOCKED),
        (errno.EACCES, Observed.BLOCKED),
        (errno.EHOSTUNREACH, Observed.FILTERED),
    ],
)
def test_without_an_icmp_message_the_errno_decides(code: int, observed: Observed) -> None:
    assert classify(OSError(code, "x"), None)[0] is observed


def test_no_route_without_an_icmp_message_stops_the_probe() -> None:
    # Nothing answered: this machine's own routing table has no route, which no verdict covers.
    with pytest.raises(VerifyError, match="no route to the destination"):
        classify(OSError(errno.ENETUNREACH, "Network is unreachable"), None)


def test_an_unexpected_error_is_a_verify_error() -> None:
    with pytest.raises(VerifyError, match="probe failed"):
        classify(OSError(errno.EINVAL, "Invalid argument"), None)


def test_extended_error_is_decoded_with_its_sender() -> None:
    header = struct.pack("=IBBBBII", errno.EHOSTUNREACH, 2, 3, 13, 0, 0, 0)
    sender = struct.pack("=HH4s8x", socket.AF_INET, 0, socket.inet_aton("10.0.0.2"))
    assert parse_extended_error(header + sender) == IcmpError(2, 3, 13, "10.0.0.2")
    assert parse_extended_error(header[:5]) is None
    local = struct.pack("=IBBBBII", errno.EMSGSIZE, 1, 0, 0, 0, 0, 0)
    assert parse_extended_error(local) is None  # not from ICMP: the errno decides


# --------------------------------------------------------------------------- real sockets, loopback only

LOOPBACK = "127.0.0.1"


@pytest.fixture
def tcp_listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind((LOOPBACK, 0))
        server.listen()
        yield server.getsockname()[1]


def free_port(kind: int) -> int:
    """A port nothing listens on (bound, read, released)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(b"portmatrix emulator\n", addr)  # type: ignore[attr-defined]


def check(probe: Probe, **options: object) -> Result:
    backend = SocketBackend(timeout=0.5, retries=0, **options)  # type: ignore[arg-type]
    return asyncio.run(backend.check(probe))


def test_tcp_listener_is_open(tcp_listener: int) -> None:
    result = check(make_probe(tcp_listener, address=LOOPBACK))
    assert (result.observed, result.ok) == (Observed.OPEN, True)


def test_tcp_without_listener_is_closed() -> None:
    result = check(make_probe(free_port(socket.SOCK_STREAM), address=LOOPBACK))
    assert result.observed is Observed.CLOSED


def test_udp_reply_is_open() -> None:
    async def scenario() -> Result:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(LOOPBACK, 0))
        try:
            port = transport.get_extra_info("sockname")[1]
            backend = SocketBackend(timeout=1, retries=1)
            return await backend.check(make_probe(port, address=LOOPBACK, protocol=Protocol.UDP))
        finally:
            transport.close()

    result = asyncio.run(scenario())
    assert result.observed is Observed.OPEN
    assert "portmatrix emulator" in result.detail


def test_udp_port_unreachable_is_closed_and_read_from_the_error_queue() -> None:
    probe = make_probe(free_port(socket.SOCK_DGRAM), address=LOOPBACK, protocol=Protocol.UDP)
    result = check(probe)
    assert result.observed is Observed.CLOSED
    assert "port unreachable" in result.detail


def test_probes_leave_from_the_source_address(tcp_listener: int) -> None:
    result = check(make_probe(tcp_listener, address=LOOPBACK), source_address="127.0.0.1")
    assert result.observed is Observed.OPEN


def test_a_check_leaves_from_its_own_source_address_over_the_backends() -> None:
    """A private-network check binds the private address, whatever the backend's default."""
    with socket.socket() as server:
        server.bind(("127.55.7.1", 0))
        server.listen()
        port = server.getsockname()[1]
        probe = replace(make_probe(port, address="127.55.7.1"), src_address="127.55.7.2")
        assert check(probe, source_address="127.55.7.3").observed is Observed.OPEN
        peer, (host, _) = server.accept()  # reset already: the address is all that is left
        peer.close()
        assert host == "127.55.7.2"


def test_a_source_address_of_another_machine_is_refused() -> None:
    with pytest.raises(VerifyError, match="not an address of this machine"):
        check(make_probe(9, address=LOOPBACK), source_address="192.0.2.77")


def test_bad_timing_is_refused() -> None:
    with pytest.raises(VerifyError):
        SocketBackend(timeout=0)
    with pytest.raises(VerifyError):
        SocketBackend(retries=-1)


# --------------------------------------------------------------------------- learned timeouts


def test_silence_is_waited_for_up_to_the_ceiling_until_a_destination_answers() -> None:
    trips = RoundTrips(ceiling=1.0, floor=0.1)
    assert (trips.known("10.0.0.1"), trips.timeout("10.0.0.1")) == (False, 1.0)


def test_a_fast_destination_gets_the_floor_and_a_slow_one_more() -> None:
    trips = RoundTrips(ceiling=1.0, floor=0.1)
    for _ in range(10):
        trips.record("10.0.0.1", 0.0002)
        trips.record("10.0.0.2", 0.05)
    assert trips.timeout("10.0.0.1") == pytest.approx(0.1)
    assert 0.05 < trips.timeout("10.0.0.2") < 1.0
    trips.record("10.0.0.3", 5.0)
    assert trips.timeout("10.0.0.3") == 1.0


def test_jitter_lengthens_the_wait() -> None:
    steady, jumpy = RoundTrips(ceiling=5, floor=0.01), RoundTrips(ceiling=5, floor=0.01)
    for seconds in (0.1, 0.1, 0.1, 0.1):
        steady.record("x", seconds)
    for seconds in (0.02, 0.18, 0.02, 0.18):
        jumpy.record("x", seconds)
    assert jumpy.timeout("x") > steady.timeout("x")


def test_pooled_round_trips_share_one_estimate() -> None:
    trips = RoundTrips(ceiling=1.0, floor=0.1, pooled=True)
    trips.record("10.0.0.1", 0.0001)
    assert trips.known("10.0.0.9") and trips.timeout("10.0.0.9") == pytest.approx(0.1)


def test_the_public_namespace_is_sorted_and_complete() -> None:
    import portmatrix.verify as verify

    assert verify.__all__ == sorted(verify.__all__, key=lambda name: (not name.isupper(), name))
    assert all(hasattr(verify, name) for name in verify.__all__)
