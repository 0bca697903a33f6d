"""The CSV report: each table as one CSV file in a folder (``--format csv``).

Files: ``summary.csv`` (key, value), ``periods.csv``, ``cohorts.csv``, ``concentration.csv``,
``tenure.csv``, ``days_between_orders.csv``, ``nps.csv`` (only with survey answers) and any
tables of extra sections. Values are the JSON document's (same rounding); undefined is an
empty cell. Each file is written to a temporary name and renamed, so a reader never sees half
a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from holdfast.errors import UserError
from holdfast.report.data import ReportData
from holdfast.report.json_doc import summary_record
from holdfast.report.sections import report_sections


def csv_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """Every table to write, by file stem, summary first."""
    summary = summary_record(data)
    tables = {"summary": pd.DataFrame({"key": list(summary), "value": list(summary.values())})}
    for section in report_sections(data):
        if not section.available(data):
            continue
        for stem, frame in section.tables(data).items():
            if stem in tables:
                raise UserError(f"two report sections want the CSV file {stem}.csv")
            tables[stem] = frame
    return tables


def write_csv(data: ReportData, folder: str | os.PathLike[str]) -> list[Path]:
    """Write every table as ``<folder>/<name>.csv`` (the folder is created); return the paths."""
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create the folder {out}: {error.strerror}") from None
    written = []
    for stem, frame in csv_tables(data).items():
        path = out / f"{stem}.csv"
        partial = path.with_name(f".{path.name}.part")
        try:
            frame.to_csv(partial, index=False, lineterminator="\n")
            os.replace(partial, path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise UserError(f"cannot write {path}: {error.strerror}") from None
        written.append(path)
    return written
