"""`python -m tools.build`'s command line with input the person must change: one line on stderr, exit 2,
nothing built."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import build as b


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    return error


def test_an_out_that_is_a_file_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "build"
    out.write_text("a file, not a folder\n")
    assert b.main(["--out", str(out), "--runtime", "python3.12", "--only", "probe-code"]) == 2
    assert _one_line(capsys) == f"build: --out {out} is a file, not a folder"
    assert out.read_text() == "a file, not a folder\n"


def test_an_out_below_a_file_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "build"
    assert b.main(["--out", str(out), "--runtime", "python3.12", "--only", "probe-code"]) == 2
    assert _one_line(capsys).startswith(f"build: --out {out} cannot be written: ")


def test_an_out_that_cannot_be_written_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    out = Path("/proc/slo-build-out")  # the kernel's: no folder can be made there, not even by root
    assert b.main(["--out", str(out), "--runtime", "python3.12", "--only", "probe-code"]) == 2
    assert _one_line(capsys).startswith(f"build: --out {out} cannot be written: ")
