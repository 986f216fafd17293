"""Port numbers as rulesets write them: ranges, open ends, and the names Cisco prints for ports.

ASA and IOS show well-known ports by keyword (``eq www``, ``eq domain``) in ``show run``; the
tables below are those keywords as the platforms define them, per protocol, so ``www`` is 80
for TCP and ``bootps`` exists only for UDP.
"""

from __future__ import annotations

from portmatrix.traffic import TCP, UDP

MAX_PORT = 65535

_BOTH = {
    "cifs": 3020,
    "discard": 9,
    "domain": 53,
    "echo": 7,
    "http": 80,
    "kerberos": 750,
    "nfs": 2049,
    "pim-auto-rp": 496,
    "sip": 5060,
    "sunrpc": 111,
    "tacacs": 49,
    "talk": 517,
    "www": 80,
}
_TCP_NAMES = {
    **_BOTH,
    "aol": 5190,
    "bgp": 179,
    "chargen": 19,
    "citrix-ica": 1494,
    "cmd": 514,
    "ctiqbe": 2748,
    "daytime": 13,
    "exec": 512,
    "finger": 79,
    "ftp": 21,
    "ftp-data": 20,
    "gopher": 70,
    "h323": 1720,
    "hostname": 101,
    "https": 443,
    "ident": 113,
    "imap4": 143,
    "irc": 194,
    "klogin": 543,
    "kshell": 544,
    "ldap": 389,
    "ldaps": 636,
    "login": 513,
    "lotusnotes": 1352,
    "lpd": 515,
    "netbios-ssn": 139,
    "nntp": 119,
    "pcanywhere-data": 5631,
    "pop2": 109,
    "pop3": 110,
    "pptp": 1723,
    "rsh": 514,
    "rtsp": 554,
    "smtp": 25,
    "sqlnet": 1521,
    "ssh": 22,
    "telnet": 23,
    "uucp": 540,
    "whois": 43,
    "msrpc": 135,
    "onep-plain": 15001,
    "onep-tls": 15002,
}
_UDP_NAMES = {
    **_BOTH,
    "biff": 512,
    "bootpc": 68,
    "bootps": 67,
    "dnsix": 195,
    "isakmp": 500,
    "mobile-ip": 434,
    "nameserver": 42,
    "netbios-dgm": 138,
    "netbios-ns": 137,
    "netbios-ss": 139,
    "non500-isakmp": 4500,
    "ntp": 123,
    "pcanywhere-status": 5632,
    "radius": 1645,
    "radius-acct": 1646,
    "rip": 520,
    "secureid-udp": 5510,
    "snmp": 161,
    "snmptrap": 162,
    "syslog": 514,
    "tftp": 69,
    "time": 37,
    "who": 513,
    "xdmcp": 177,
    "vxlan": 4789,
}
PORT_NAMES = {TCP: _TCP_NAMES, UDP: _UDP_NAMES}


def port_number(text: str, *, protocols: tuple[int, ...] = (TCP, UDP)) -> int:
    """A port given as a number or as a keyword every one of ``protocols`` knows; ValueError if not."""
    if text.isascii() and text.isdigit():
        if len(text) > 5:
            raise ValueError(f"port {text[:20]} is outside 0-{MAX_PORT}")
        value = int(text)
    else:
        values = {PORT_NAMES.get(protocol, {}).get(text.lower()) for protocol in protocols}
        if len(values) != 1 or None in values:
            raise ValueError(f"unknown port name {text!r}")
        value = values.pop() or 0
    if not 0 <= value <= MAX_PORT:
        raise ValueError(f"port {value} is outside 0-{MAX_PORT}")
    return value


def parse_port_range(text: str, *, separator: str = "-") -> tuple[int, int]:
    """``"22"``, ``"1000:2000"``, ``":1024"`` or ``"1024:"`` as an inclusive range."""
    if separator not in text:
        port = port_number(text.strip())
        return port, port
    first, last = (part.strip() for part in text.split(separator, 1))
    lo = port_number(first) if first else 0
    hi = port_number(last) if last else MAX_PORT
    if hi < lo:
        raise ValueError(f"port range {text!r} is empty")
    return lo, hi
