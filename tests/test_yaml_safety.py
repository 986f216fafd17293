"""YAML that cannot hurt: bounded aliases, no duplicate keys, no values YAML 1.1 misreads,
and input files that are files (issue 10, item 1)."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from portmatrix.catalog import PackText, load_catalog
from portmatrix.errors import CatalogError, InputError, InventoryError
from portmatrix.project import InventoryText, Project
from portmatrix.yamlio import YamlLimits, load_yaml, parse_yaml, read_input

LAUGHS = "".join(
    f"l{level}: &l{level} [{', '.join([f'*l{level - 1}' if level else 'lol'] * 9)}]\n"
    for level in range(10)
)


def test_billion_laughs_is_refused_fast_and_small() -> None:
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"laughs.yaml:\d+: the document expands to more than"):
        parse_yaml(LAUGHS, name="laughs.yaml")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 8 * 2**20


def test_aliases_within_the_limit_still_work() -> None:
    data, lines = parse_yaml(
        "base: &b {x: 1}\nlist: [*b, *b]\nmerged:\n  <<: *b\n  y: 2\n", name="ok.yaml"
    )
    assert data["list"] == [{"x": 1}, {"x": 1}]
    assert data["merged"] == {"x": 1, "y": 2}
    assert lines.line(("merged", "y")) == 5


def test_the_node_limit_counts_aliases_expanded() -> None:
    text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n"
    parse_yaml(text, name="x.yaml", limits=YamlLimits(max_nodes=30))
    with pytest.raises(InputError, match="expands to more than 15"):
        parse_yaml(text, name="x.yaml", limits=YamlLimits(max_nodes=15))


REFUSED = [
    ("a: 1\nb: 2\na: 3\n", 3, "the key 'a' appears twice in one mapping (first on line 1)"),
    ("a: 2024-01-01\n", 1, "read as a date"),
    ("a: 2024-01-01 10:00:00\n", 1, "read as a date"),
    ("ports: 0443\n", 1, "leading zero"),
    ("ports: 20:30\n", 1, "base-60"),
    ("x: .nan\n", 1, "not a finite number"),
    ("x: -.inf\n", 1, "not a finite number"),
    ("x: 1.0e+400\n", 1, "not a finite number"),
    ("x: " + "9" * 4301 + "\n", 1, "4,301 digits is too large"),
    ("on: 1\n", 1, "the key 'on' is read as true/false"),
    ("1: a\n", 1, "the key '1' is read as a number"),
    ("~: a\n", 1, "is read as null"),
    ("? [a]\n: b\n", 1, "a key must be text"),
    ("x: !!binary aGVsbG8=\n", 1, "the tag !!binary is not allowed"),
    ("x: !!set {a: null}\n", 1, "the tag !!set is not allowed"),
    ("x: !!python/object:os.system {}\n", 1, "not allowed"),
    ("x: !custom 1\n", 1, "the tag !custom is not allowed"),
    ("a: &a [*a]\n", 1, "refers to itself"),
    ("a: *nowhere\n", 1, "names no anchor"),
    ("a: &x 1\nb: &x 2\n", 2, "defined twice"),
    ("x: " + "[" * 70 + "]" * 70 + "\n", 1, "nested more than 64 levels"),
    ("a: 1\n---\nb: 2\n", 2, "a second YAML document"),
    ("x: !!bool maybe\n", 1, "not true or false"),
    ("x: !!int abc\n", 1, "not a number"),
    ("a: [1, 2\n", None, "invalid YAML"),
]


@pytest.mark.parametrize(("text", "line", "message"), REFUSED)
def test_refused_with_file_and_line(text: str, line: int | None, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, name="f.yaml")
    assert message in caught.value.message
    assert caught.value.file == "f.yaml"
    if line is not None:
        assert caught.value.line == line


def test_quoted_values_are_text() -> None:
    data, _ = parse_yaml(
        "'on': '2024-01-01'\nports: '0443'\nx: '20:30'\n'1': '.nan'\n", name="q.yaml"
    )
    assert data == {"on": "2024-01-01", "ports": "0443", "x": "20:30", "1": ".nan"}


def test_a_second_ports_key_in_a_pack_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = (Path(__file__).parent / "data" / "acme-pack.yaml").read_text()
    first = text.index("    ports:")
    doubled = text[:first] + "    ports: [{protocol: tcp, ports: 1-65535}]\n" + text[first:]
    line = doubled[: doubled.index("    ports:", first + 10)].count("\n") + 1
    with pytest.raises(CatalogError, match=rf"acme.yaml:{line}: the key 'ports' appears twice"):
        load_catalog([PackText(doubled, name="acme.yaml")])


def test_a_second_address_in_an_inventory_is_an_error_at_its_line() -> None:
    text = (
        "name: t\nhosts:\n  - name: a\n    address: 10.0.0.1\n    roles: [cuc.server]\n"
        "    address: 10.0.0.99\n"
    )
    with pytest.raises(InventoryError, match=r"inv.yaml:6: the key 'address' appears twice"):
        _ = Project(InventoryText(text, name="inv.yaml")).deployment


# ------------------------------------------------------------------ files that are not files


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory, not a file"):
        read_input(tmp_path)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            load_yaml(fifo)
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=5)
    if reader.is_alive():  # unblock the reader so the test process can end, then fail
        with open(fifo, "w"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], InputError)
    assert "is a FIFO (named pipe), not a file" in str(outcome[0])


def test_a_device_is_refused() -> None:
    with pytest.raises(InputError, match="/dev/zero: is a character device, not a file"):
        read_input("/dev/zero")


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 5000 + "\n")
    with pytest.raises(InputError, match="over the 4,096 bytes limit"):
        load_yaml(big, limits=YamlLimits(max_bytes=4096))
    with pytest.raises(InputError, match="over the 1,000 bytes limit"):
        read_input(big, limit=1000)


def test_oversized_text_is_refused_too() -> None:
    with pytest.raises(InputError, match="over the 100 bytes limit"):
        parse_yaml("a: " + "x" * 200, name="t.yaml", limits=YamlLimits(max_bytes=100))


def test_proc_files_are_read_up_to_the_limit() -> None:
    assert "Name:" in read_input("/proc/self/status")
    with pytest.raises(InputError, match="over the 10 bytes limit"):
        read_input("/proc/self/status", limit=10)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    with pytest.raises(InputError, match=r"latin1.yaml:2: is not UTF-8 text \(byte 0xe9\)"):
        read_input(path)


def test_missing_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_input(tmp_path / "nope.yaml")
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: 1\n")
    with pytest.raises(InputError, match="cannot read: Not a directory"):
        read_input(plain / "deeper.yaml")
