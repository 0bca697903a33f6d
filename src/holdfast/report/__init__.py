"""holdfast.report: render a ReportData as HTML, JSON, CSV or a terminal table.

Pure presentation: services fill a :class:`ReportData` with the analytics' results and call
one of the renderers; nothing here computes a metric or touches a database.
"""

from holdfast.report.csv_out import write_csv
from holdfast.report.data import ReportData
from holdfast.report.html import render_html
from holdfast.report.json_doc import SCHEMA_VERSION, dumps, to_document
from holdfast.report.section import Section
from holdfast.report.terminal import period_table

__all__ = [
    "SCHEMA_VERSION",
    "ReportData",
    "Section",
    "dumps",
    "period_table",
    "render_html",
    "to_document",
    "write_csv",
]
