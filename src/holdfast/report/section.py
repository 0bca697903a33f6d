"""The section interface: one block of the report, with its HTML, JSON value and CSV tables.

The HTML page, the JSON document and the CSV folder are all built from one list of sections,
so a later feature (model forecasts, segments) adds itself by appending a :class:`Section` to
``ReportData.extra_sections``. A section whose data is absent is left out of the page (or shown
as a one-line note when it sets ``absent_note``) and is null in the JSON document.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from markupsafe import Markup

    from holdfast.report.data import ReportData
    from holdfast.report.html import RenderContext


class Section(ABC):
    """One block of the report.

    ``key`` is the HTML anchor; ``json_key`` the key of the JSON document this section fills
    (None for sections that only draw charts from another section's data); ``title`` its
    heading; ``absent_note`` the sentence shown in place of the block when :meth:`available`
    is False (None: skip the block silently).
    """

    key: str = ""
    title: str = ""
    json_key: str | None = None
    absent_note: str | None = None

    def available(self, data: ReportData) -> bool:
        """Whether there is anything to show (the default: always)."""
        return True

    def document(self, data: ReportData) -> Any:
        """The JSON value under ``json_key`` (plain Python: see :mod:`holdfast.report.values`)."""
        return None

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        """CSV tables by file stem, values already plain (see ``values.plain_frame``)."""
        return {}

    @abstractmethod
    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        """The section's HTML block, usually ``ctx.section(self, intro=..., body=...)``."""
