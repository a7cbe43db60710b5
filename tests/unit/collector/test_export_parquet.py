"""The pure-Python Parquet writer: whatever it is given, pyarrow and DuckDB read back the same values."""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.export.parquet import Column, ParquetError, ParquetWriter, levels, thrift

KINDS = ("string", "int64", "double", "bool", "timestamp", "date", "double_list")
T0 = datetime(2026, 11, 27, tzinfo=UTC)


def write(columns: list[Column], groups: list[list[dict[str, Any]]], **kw: Any) -> bytes:
    buffer = io.BytesIO()
    writer = ParquetWriter(buffer, columns, **kw)
    for group in groups:
        writer.write_rows(group)
    writer.close()
    return buffer.getvalue()


def values_of(kind: str) -> st.SearchStrategy[Any]:
    finite = st.floats(allow_nan=False, allow_infinity=False)
    return {
        "string": st.text(max_size=40),
        "int64": st.integers(-(2**63), 2**63 - 1),
        "double": finite,
        "bool": st.booleans(),
        "timestamp": st.integers(0, 10**15).map(lambda us: T0 - timedelta(microseconds=us)),
        "date": st.dates(date(1900, 1, 1), date(2200, 1, 1)),
        "double_list": st.lists(finite, max_size=20),
    }[kind]


@st.composite
def tables(draw: Any) -> tuple[list[Column], list[list[dict[str, Any]]]]:
    kinds = draw(
        st.lists(st.sampled_from(KINDS), min_size=1, max_size=18)
    )  # past 15: Thrift's long list form
    columns = [Column(f"c{i}_{k}", k, draw(st.booleans())) for i, k in enumerate(kinds)]
    groups = []
    for _ in range(draw(st.integers(1, 3))):
        rows = []
        for _ in range(draw(st.integers(1, 30))):
            row = {}
            for c in columns:
                value = draw(values_of(c.kind))
                row[c.name] = None if c.nullable and draw(st.integers(0, 3)) == 0 else value
            rows.append(row)
        groups.append(rows)
    return columns, groups


def same(kind: str, got: Any, want: Any) -> bool:
    if want is None:
        return got is None
    if kind == "double":
        return got == want or (math.isnan(got) and math.isnan(want))
    if kind == "double_list":
        return list(got) == list(want)
    return bool(got == want)


@settings(max_examples=60, deadline=None)
@given(tables(), st.sampled_from(["gzip", "none"]))
def test_pyarrow_reads_back_every_value_nulls_lists_and_row_groups(table: Any, compression: str) -> None:
    columns, groups = table
    data = write(columns, groups, compression=compression)
    read = pq.read_table(io.BytesIO(data))
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert meta.num_row_groups == len(groups) and read.num_rows == sum(len(g) for g in groups)
    rows = [row for group in groups for row in group]
    for column in columns:
        field = read.schema.field(column.name)
        assert field.nullable == column.nullable
        got = read.column(column.name).to_pylist()
        assert all(same(column.kind, g, r.get(column.name)) for g, r in zip(got, rows, strict=True))


def test_types_are_what_a_reader_expects(tmp_path: Path) -> None:
    columns = [Column(k, k) for k in KINDS]  # type: ignore[arg-type]
    row = {"string": "é", "int64": 1, "double": 0.5, "bool": True, "timestamp": T0, "date": "2026-11-27",
           "double_list": [1.0]}  # fmt: skip
    path = tmp_path / "t.parquet"
    path.write_bytes(write(columns, [[row, {}]], metadata={"observatory.table": "test"}))
    schema = pq.read_schema(path)
    assert [str(schema.field(k).type) for k in KINDS] == [
        "string", "int64", "double", "bool", "timestamp[us, tz=UTC]", "date32[day]",
        "list<element: double not null>",
    ]  # fmt: skip
    assert schema.metadata[b"observatory.table"] == b"test"
    described = duckdb.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()
    assert [r[1] for r in described] == [
        "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMP WITH TIME ZONE", "DATE", "DOUBLE[]",
    ]  # fmt: skip
    assert duckdb.execute(f"SELECT string, double_list FROM '{path}'").fetchall() == [
        ("é", [1.0]),
        (None, None),
    ]


def test_the_same_rows_make_the_same_bytes() -> None:
    columns = [Column("a", "double_list"), Column("b", "string")]
    rows = [{"a": [1.0, 2.0], "b": "x"}, {"a": None, "b": None}]
    assert write(columns, [rows]) == write(columns, [rows])  # no time in the gzip header


def test_nulls_where_a_column_holds_none_are_refused() -> None:
    with pytest.raises(ParquetError, match="'a' holds no nulls"):
        write([Column("a", "int64", nullable=False)], [[{"a": None}]])
    with pytest.raises(ParquetError, match="distinct names"):
        ParquetWriter(io.BytesIO(), [Column("a", "int64"), Column("a", "string")])


def test_nan_and_pandas_na_are_nulls() -> None:
    import pandas as pd

    data = write([Column("x", "double"), Column("b", "bool")], [[{"x": math.nan, "b": pd.NA}, {"x": 1.0}]])
    read = pq.read_table(io.BytesIO(data))
    assert read.column("x").to_pylist() == [None, 1.0] and read.column("b").to_pylist() == [None, None]


def test_levels_are_one_rle_run_when_equal_else_bit_packed() -> None:
    assert levels([1] * 300, 1) == b"\x03\x00\x00\x00" + bytes([0xD8, 0x04, 0x01])  # varint(600), value 1
    # 0b01010101 then one value in a padded second group: header (2 groups << 1) | 1
    assert levels([1, 0, 1, 0, 1, 0, 1, 0, 1], 1) == b"\x03\x00\x00\x00" + bytes([0x05, 0x55, 0x01])


def test_thrift_compact_field_ids_lists_and_booleans() -> None:
    assert thrift([(1, "i32", 1)]) == bytes([0x15, 0x02, 0x00])  # delta 1, i32, zigzag(1) = 2
    assert thrift([(1, "bool", True), (2, "bool", False)]) == bytes(
        [0x11, 0x12, 0x00]
    )  # delta 1 each: true 1, false 2
    assert thrift([(20, "i64", -1)]) == bytes([0x06, 0x28, 0x01, 0x00])  # long form: type, zigzag(20)
    long = thrift([(1, "list:i32", list(range(15)))])
    assert long[:2] == bytes([0x19, 0xF5]) and long[2] == 15
