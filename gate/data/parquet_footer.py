"""The sizes a Parquet file declares, read from its footer without pyarrow.

pyarrow's Python accessor for row-group metadata (``FileMetaData.row_group``) aborts the whole
process (``std::terminate``, no exception) on some corrupt footers, e.g. a column's size statistics
whose definition-level histogram has the wrong length. The reader needs the declared sizes *before*
it lets pyarrow decode anything (a row group can claim 10^10 rows in a 1 KB file), so it reads them
here: the footer is Thrift's compact protocol (``FileMetaData`` in parquet.thrift), parsed into
plain numbers with every length checked against the bytes that remain. pyarrow's own ``read()``
then validates the rest and raises ordinary exceptions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"PAR1"
ENCRYPTED_MAGIC = b"PARE"
MAX_DEPTH = 64        # nesting of structs and lists; real footers use < 10

# Thrift compact protocol type codes
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(13)


class FooterError(ValueError):
    """The footer is not a well-formed Parquet footer (the message says what is wrong)."""


@dataclass(frozen=True)
class RowGroupSize:
    """What one row group declares: its rows, its ``total_byte_size`` and the
    ``total_uncompressed_size`` of each column chunk (0 where a chunk has no metadata)."""
    num_rows: int
    total_byte_size: int
    column_sizes: tuple[int, ...]

    @property
    def declared_bytes(self) -> int:
        """The larger of the group's own size and the sum of its chunks' (either may be understated)."""
        return max(self.total_byte_size, sum(max(size, 0) for size in self.column_sizes))


@dataclass(frozen=True)
class FooterSizes:
    """The file's declared row count and its row groups' sizes."""
    num_rows: int
    row_groups: tuple[RowGroupSize, ...]


def read_footer_sizes(raw: bytes) -> FooterSizes:
    """The sizes ``raw`` (a whole Parquet file) declares. Raises :class:`FooterError` for a
    file without the ``PAR1`` trailer, an encrypted footer (``PARE``), a footer length beyond the
    file, or malformed Thrift."""
    if len(raw) < 12 or raw[:4] != MAGIC:
        raise FooterError("Parquet magic bytes not found at the start")
    if raw[-4:] == ENCRYPTED_MAGIC:
        raise FooterError("the footer is encrypted, which is not supported")
    if raw[-4:] != MAGIC:
        raise FooterError("Parquet magic bytes not found in footer")
    (length,) = struct.unpack("<I", raw[-8:-4])
    if length > len(raw) - 12:
        raise FooterError(f"the footer claims {length:,} bytes in a {len(raw):,}-byte file")
    fields = _Reader(raw[-8 - length:-8]).struct(0)
    groups = tuple(_row_group(group) for group in _list_of(fields.get(4, []), dict))
    return FooterSizes(_int(fields.get(3, 0)), groups)


def _row_group(fields: dict) -> RowGroupSize:
    columns = _list_of(fields.get(1, []), dict)
    sizes = tuple(_int(_struct_or_empty(column.get(3)).get(6, 0)) for column in columns)
    return RowGroupSize(_int(fields.get(3, 0)), _int(fields.get(2, 0)), sizes)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FooterError("a size field does not hold an integer")
    return value


def _struct_or_empty(value: object) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FooterError("a column chunk's metadata is not a struct")
    return value


def _list_of(value: object, kind: type) -> list:
    if not isinstance(value, list) or not all(isinstance(item, kind) for item in value):
        raise FooterError("a list field holds the wrong type")
    return value


class _Reader:
    """A bounds-checked reader of Thrift compact-protocol values."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise FooterError("the footer ends in the middle of a value")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, n: int) -> bytes:
        if n < 0 or n > len(self.data) - self.pos:
            raise FooterError("a length in the footer runs past its end")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varint(self) -> int:
        value = shift = 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise FooterError("a varint in the footer is longer than 64 bits")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int, depth: int) -> object:
        """One value of compact type ``kind``; containers recurse up to :data:`MAX_DEPTH`."""
        if depth > MAX_DEPTH:
            raise FooterError("the footer nests deeper than any Parquet schema")
        if kind in (_TRUE, _FALSE):       # only inside lists: one byte, 1 = true
            return self.byte() == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            return struct.unpack("<d", self.take(8))[0]
        if kind == _BINARY:
            return self.take(self.varint())
        if kind in (_LIST, _SET):
            return self.list(depth)
        if kind == _MAP:
            return self.map(depth)
        if kind == _STRUCT:
            return self.struct(depth)
        raise FooterError(f"unknown Thrift type {kind} in the footer")

    def list(self, depth: int) -> list:
        header = self.byte()
        size, kind = header >> 4, header & 0x0F
        if size == 15:
            size = self.varint()
        if size > len(self.data) - self.pos:      # every element takes at least one byte
            raise FooterError("a list in the footer is longer than the footer")
        return [self.value(kind, depth + 1) for _ in range(size)]

    def map(self, depth: int) -> dict:
        size = self.varint()
        if size == 0:
            return {}
        if 2 * size > len(self.data) - self.pos:
            raise FooterError("a map in the footer is longer than the footer")
        kinds = self.byte()
        return {_hashable(self.value(kinds >> 4, depth + 1)): self.value(kinds & 0x0F, depth + 1)
                for _ in range(size)}

    def struct(self, depth: int) -> dict:
        """A struct as ``{field id: value}`` (field ids as written; unknown fields kept, as Thrift skips them)."""
        fields: dict[int, object] = {}
        last = 0
        while True:
            header = self.byte()
            kind = header & 0x0F
            if kind == _STOP:
                return fields
            delta = header >> 4
            last = last + delta if delta else self.zigzag()
            if kind in (_TRUE, _FALSE):
                fields[last] = kind == _TRUE
            else:
                fields[last] = self.value(kind, depth + 1)


def _hashable(key: object) -> object:
    return repr(key) if isinstance(key, (list, dict)) else key
