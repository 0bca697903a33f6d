"""The JSON report: a stable, versioned document for machines (``--format json``).

Keys always appear in the same order and every key is always present: undefined numbers are
null, an absent optional section (no survey answers: ``nps``) is null. Bump
:data:`SCHEMA_VERSION` on any change a reader could notice; adding a new section key is not
one (readers must ignore keys they do not know).
"""

from __future__ import annotations

import json
from typing import Any

from holdfast.errors import UserError
from holdfast.report.data import (
    DERIVED_SUMMARY_FIELDS,
    META_FIELDS,
    NPS_SUMMARY_FIELDS,
    SUMMARY_FIELDS,
    ReportData,
)
from holdfast.report.sections import json_sections
from holdfast.report.values import record

SCHEMA_VERSION = 1


def summary_record(data: ReportData) -> dict[str, Any]:
    """The summary as plain values: inputs, the NPS keys (null without survey data), and the
    latest complete period's rates."""
    values = {**data.summary, **data.derived_summary()}
    fields = SUMMARY_FIELDS + NPS_SUMMARY_FIELDS + DERIVED_SUMMARY_FIELDS
    return record(values, fields, data.meta.get("currency"))


def to_document(data: ReportData) -> dict[str, Any]:
    """The report as a JSON-ready dict: ``holdfast_report`` (schema version), ``meta``,
    ``summary``, then one key per section (``periods``, ``cohorts``, ``concentration``,
    ``tenure``, ``days_between_orders``, ``nps``, then any extra sections)."""
    doc: dict[str, Any] = {
        "holdfast_report": SCHEMA_VERSION,
        "meta": record(data.meta, META_FIELDS, None),
        "summary": summary_record(data),
    }
    for section in json_sections(data):
        key = section.json_key
        assert key is not None
        if key in doc:
            raise UserError(f"two report sections want the JSON key {key!r}")
        doc[key] = section.document(data) if section.available(data) else None
    return doc


def dumps(data: ReportData, indent: int | None = 2) -> str:
    """The JSON document as text (UTF-8 characters kept, no NaN: strict JSON)."""
    return json.dumps(to_document(data), indent=indent, ensure_ascii=False, allow_nan=False)
