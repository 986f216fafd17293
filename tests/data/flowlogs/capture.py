#!/usr/bin/env python3
"""Produce the real-traffic fixtures in this folder from traffic between two namespaces.

Run as root from the repository root: ``.venv/bin/python tests/data/flowlogs/capture.py``.
Two namespaces stand for ``pg-a`` (10.10.1.21) and ``rtr-a`` (10.10.1.11) of
``examples/duplex-cce.yaml``, cabled by a veth pair. ``rtr-a`` listens on TCP 40042 and 445 and
UDP 137 (matrix flows from pg-a), on TCP 9999 (in no flow) and drops TCP 23 with a log rule.
Its nftables ruleset logs every new connection (``pm-accept``) and the drops (``pm-drop``);
conntrack events and the table are captured with conntrack-tools, tcpdump records rtr-a's
interface, and softflowd turns that capture into NetFlow v9 sent to nfcapd on loopback, read
back with nfdump (needs tcpdump, softflowd and nfdump from Debian). Then pg-a connects:
TCP 40042, 445, 9999 and 23, UDP 137 and 5555. Outputs (kernel lines as /dev/kmsg and dmesg
print them, conntrack -E and -L, nfdump -o csv and its default text) are written beside this
script. The kernel writes netfilter log lines from other namespaces only while
``net.netfilter.nf_log_all_netns`` is 1; the script sets it for the capture and restores it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))
from portmatrix.netns import Netns, entered

HERE = Path(__file__).resolve().parent
CLIENT, SERVER = "10.10.1.21", "10.10.1.11"
RULES = """
table inet pm {
  chain input {
    type filter hook input priority 0; policy accept;
    ct state established,related accept
    iifname "lo" accept
    tcp dport 23 log prefix "pm-drop " drop
    ct state new log prefix "pm-accept " accept
  }
}
"""
ALL_NETNS = Path("/proc/sys/net/netfilter/nf_log_all_netns")


def serve(namespace: str, stop: threading.Event) -> None:
    with entered(namespace):
        tcp = [socket.create_server((SERVER, port)) for port in (40042, 445, 9999)]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((SERVER, 137))
    for sock in [*tcp, udp]:
        sock.settimeout(0.1)
    while not stop.is_set():
        for sock in tcp:
            with contextlib.suppress(TimeoutError):
                conn, _ = sock.accept()
                conn.sendall(b"hello\n")
                conn.close()
        with contextlib.suppress(TimeoutError):
            data, peer = udp.recvfrom(2048)
            udp.sendto(data, peer)


def talk(namespace: str) -> None:
    with entered(namespace):
        for port in (40042, 445, 9999, 23):
            with contextlib.suppress(OSError), socket.create_connection((SERVER, port), 1) as s:
                s.sendall(b"x" * 100)
                with contextlib.suppress(OSError):
                    s.recv(64)
            time.sleep(0.2)
        for port in (137, 5555):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.5)
                s.sendto(b"y" * 40, (SERVER, port))
                with contextlib.suppress(OSError):
                    s.recvfrom(64)


def kmsg_reader() -> int:
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    os.lseek(fd, 0, os.SEEK_END)
    return fd


def kmsg_lines(fd: int) -> list[str]:
    lines = []
    while True:
        try:
            lines.append(os.read(fd, 8192).decode(errors="replace").rstrip("\n"))
        except BlockingIOError:
            return lines


def netflow(work: Path) -> list[Path]:
    """softflowd reads the capture and exports NetFlow v9 to an nfcapd on loopback."""
    collector = subprocess.Popen(
        ["nfcapd", "-w", str(work), "-p", "9995", "-b", "127.0.0.1", "-t", "3600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    subprocess.run(
        ["softflowd", "-r", str(work / "rtr-a.pcap"), "-n", "127.0.0.1:9995", "-v", "9", "-d"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    time.sleep(1)
    collector.send_signal(signal.SIGTERM)
    collector.wait(timeout=10)
    return sorted(work.glob("nfcapd.2*"))


def main() -> None:
    previous = ALL_NETNS.read_text()
    ALL_NETNS.write_text("1\n")
    work = Path(tempfile.mkdtemp(prefix="pm-capture-"))
    try:
        with Netns() as client, Netns() as server:
            client.run(
                [
                    "ip",
                    "link",
                    "add",
                    "eth0",
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "eth1",
                    "netns",
                    server.name,
                ]
            )
            client.run(["ip", "address", "add", f"{CLIENT}/24", "dev", "eth0"])
            client.run(["ip", "link", "set", "eth0", "up"])
            server.run(["ip", "link", "set", "eth1", "name", "eth0"])
            server.run(["ip", "address", "add", f"{SERVER}/24", "dev", "eth0"])
            server.run(["ip", "link", "set", "eth0", "up"])
            server.run(["sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1"])
            server.run(["nft", "-f", "-"], input=RULES)
            events = server.popen(
                ["conntrack", "-E", "-o", "timestamp"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            recorder = server.popen(
                ["tcpdump", "-i", "eth0", "-U", "-w", str(work / "rtr-a.pcap")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.5)
            fd = kmsg_reader()
            stop = threading.Event()
            thread = threading.Thread(target=serve, args=(server.name, stop))
            thread.start()
            time.sleep(0.3)
            talk(client.name)
            time.sleep(0.5)
            table = server.run(["conntrack", "-L"], check=False).stdout
            server.run(["conntrack", "-F"], check=False)
            time.sleep(0.5)
            stop.set()
            thread.join()
            kmsg = [line for line in kmsg_lines(fd) if "pm-" in line]
            os.close(fd)
            dmesg = subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()
            for process in (recorder, events):
                process.send_signal(signal.SIGTERM)
            out, _ = events.communicate(timeout=10)
            recorder.wait(timeout=10)
        captured = netflow(work)
        (HERE / "netfilter-kmsg.log").write_text("\n".join(kmsg) + "\n")
        ours = [line for line in dmesg if "pm-" in line][-len(kmsg) :]
        (HERE / "netfilter-dmesg.log").write_text("\n".join(ours) + "\n")
        (HERE / "conntrack-events.txt").write_text(out)
        (HERE / "conntrack-table.txt").write_text(table)
        if captured:
            csv_text = subprocess.run(
                ["nfdump", "-r", str(captured[-1]), "-o", "csv"], capture_output=True, text=True
            ).stdout
            text = subprocess.run(
                ["nfdump", "-r", str(captured[-1]), "-q"], capture_output=True, text=True
            ).stdout
            (HERE / "nfdump.csv").write_text(csv_text)
            (HERE / "nfdump-q.txt").write_text(text)
        print(
            "captured:",
            len(kmsg),
            "kernel lines;",
            out.count("\n"),
            "events;",
            len(captured),
            "nfcapd files",
        )
    finally:
        ALL_NETNS.write_text(previous)


if __name__ == "__main__":
    main()
