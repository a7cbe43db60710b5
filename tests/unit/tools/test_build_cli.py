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


def test_a_runtime_outside_the_vocabulary_is_refused_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    built: list[str] = []
    monkeypatch.setattr(b, "build", lambda out, runtime, *args, **kwargs: built.append(runtime) or {})
    argv = ["--out", str(tmp_path / "out"), "--runtime", "python3.12", "--runtime", "python3.99"]
    assert b.main(argv) == 2
    assert _one_line(capsys) == (
        "build: runtime 'python3.99' is not one the probe runs on: python3.9, python3.10, python3.11, "
        "python3.12, python3.13"
    )
    assert built == []


def test_the_build_itself_refuses_a_runtime_outside_the_vocabulary(tmp_path: Path) -> None:
    with pytest.raises(b.BuildError, match=r"'python3\.8' is not one the probe runs on: python3\.9, "):
        b.build(tmp_path, "python3.8", ["x86_64"], ["probe-code"])
    assert not (tmp_path / "probe-code.zip").exists()
