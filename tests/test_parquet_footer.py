"""gate.data.parquet_footer reads the sizes a Parquet footer declares exactly as pyarrow reports them, and
rejects every malformed footer with FooterError (never another exception, never a hang)."""

from __future__ import annotations

import io
import random
import struct

import pytest

from gate.data.parquet_footer import FooterError, read_footer_sizes

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _table(rng: random.Random, rows: int):
    return pa.table({
        "id": [f"r{i}" for i in range(rows)],
        "score": [rng.random() for _ in range(rows)],
        "label": [rng.choice([None, "0", "1"]) for _ in range(rows)],
        "tags": [[rng.randrange(5)] * rng.randrange(3) for _ in range(rows)],
        "nested": [{"x": rng.random(), "y": None} for _ in range(rows)],
    })


def _written(table, **options) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


WRITER_OPTIONS = [{}, {"row_group_size": 7}, {"compression": "gzip", "use_dictionary": False},
                  {"write_statistics": False}, {"store_schema": False}, {"data_page_version": "2.0"},
                  {"write_page_index": True}, {"version": "1.0"}]


@pytest.mark.parametrize("options", WRITER_OPTIONS, ids=[str(o) or "defaults" for o in WRITER_OPTIONS])
@pytest.mark.parametrize("rows", [0, 1, 50, 333])
def test_sizes_match_pyarrow(options, rows):
    raw = _written(_table(random.Random(rows), rows), **options)
    footer = read_footer_sizes(raw)
    metadata = pq.ParquetFile(pa.BufferReader(raw)).metadata
    assert footer.num_rows == metadata.num_rows == rows
    expected = [(g.num_rows, g.total_byte_size, tuple(g.column(j).total_uncompressed_size for j in range(g.num_columns)))
                for g in map(metadata.row_group, range(metadata.num_row_groups))]
    assert [(g.num_rows, g.total_byte_size, g.column_sizes) for g in footer.row_groups] == expected


def test_declared_bytes_is_the_larger_of_group_and_chunks():
    raw = _written(_table(random.Random(1), 200), compression="gzip", use_dictionary=False)
    (group,) = read_footer_sizes(raw).row_groups
    assert group.declared_bytes == max(group.total_byte_size, sum(group.column_sizes))
    assert group.declared_bytes > 0


@pytest.mark.parametrize("raw, message", [
    (b"", "magic bytes not found at the start"),
    (b"id,label\n1,0\n", "magic bytes not found at the start"),
    (b"PAR1" + b"\0" * 8 + b"PARE", "encrypted"),
    (b"PAR1" + b"\0" * 8 + b"XXXX", "not found in footer"),
    (b"PAR1" + b"\0" * 4 + struct.pack("<I", 10**6) + b"PAR1", "claims 1,000,000 bytes"),
    (b"PAR1" + b"\x15" + struct.pack("<I", 1) + b"PAR1", "ends in the middle"),
    (b"PAR1" + b"\x19\xfc\xff\xff\xff\x0f" + struct.pack("<I", 6) + b"PAR1", "longer than the footer"),
])
def test_malformed_footers_are_named(raw, message):
    with pytest.raises(FooterError, match=message):
        read_footer_sizes(raw)


def test_nesting_is_bounded():
    nested = b"\x1c" * 200                       # field 1, a struct, 200 deep
    raw = b"PAR1" + nested + struct.pack("<I", len(nested)) + b"PAR1"
    with pytest.raises(FooterError, match="nests deeper"):
        read_footer_sizes(raw)


def test_mutated_footers_raise_only_footer_error():
    """Byte flips, truncations and insertions in a real footer: each parses or raises FooterError."""
    rng = random.Random(7)
    raw = _written(_table(rng, 40), row_group_size=9)
    length = struct.unpack("<I", raw[-8:-4])[0]
    start = len(raw) - 8 - length
    outcomes = set()
    for _ in range(3000):
        footer = bytearray(raw[start:-8])
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(footer))
            choice = rng.random()
            if choice < 0.6:
                footer[at] = rng.randrange(256)
            elif choice < 0.8:
                del footer[at:at + rng.randrange(1, 8)]
            else:
                footer[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        mutated = raw[:start] + bytes(footer) + struct.pack("<I", len(footer)) + b"PAR1"
        try:
            read_footer_sizes(mutated)
            outcomes.add("parsed")
        except FooterError:
            outcomes.add("rejected")
    assert outcomes == {"parsed", "rejected"}
