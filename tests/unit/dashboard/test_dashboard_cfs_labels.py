"""The CFS throttling columns are lab-only: labelled so wherever AWS rows are shown."""

from __future__ import annotations

from dashboard import labels, ui

from .frames import frame, row


def test_cfs_columns_are_marked_lab_only_only_with_aws_rows() -> None:
    assert labels.cfs_columns(["lab", "lab"]) == {
        "throttled_periods": "Throttled CFS periods",
        "total_periods": "CFS periods",
    }
    assert labels.cfs_columns(["lab", "aws"]) == {
        "throttled_periods": "Throttled CFS periods (lab only)",
        "total_periods": "CFS periods (lab only)",
    }
    assert labels.cfs_note(["lab"]) is None
    note = labels.cfs_note(["aws"])
    assert note is not None and "lab only" in note and "not measured" in note and "never 0" in note


def test_aws_rows_show_not_measured_under_a_lab_only_header() -> None:
    rows = frame(
        [
            row("2026-11-27T05:00", throttled_periods=31, total_periods=40),
            row(
                "2026-11-27T05:00",
                strategy="sdk",
                environment="aws",
                cpu_emulation="aws",
                throttled_periods=None,
                total_periods=None,
            ),
        ]
    )
    shown = ui.human_columns(rows, labels.cfs_columns(rows["environment"]))
    assert shown["Throttled CFS periods (lab only)"].tolist()[0] == 31
    assert shown["Throttled CFS periods (lab only)"].isna().tolist() == [False, True]
    assert shown["CFS periods (lab only)"].isna().tolist() == [False, True]
    assert "Throttled CFS periods" not in shown.columns
