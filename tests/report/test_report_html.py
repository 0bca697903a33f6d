"""The HTML page: self-contained, escaped, every section with its numbers explained."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import plotly.offline
import pytest
from report_sample import sample

from holdfast.report import ReportData, render_html
from holdfast.report.fmt import THIN

EVIL = "<script>alert(1)</script>"
HEADINGS = [
    "Retention over time",
    "Customer flow",
    "Cohorts",
    "Repeat purchases",
    "Revenue and order value",
    "Revenue concentration",
    "Spend by tenure",
    "Time between orders",
    "Net Promoter Score",
    "What the numbers mean",
    "The period table",
]


class _Page(HTMLParser):
    """Collects the attributes, <h2> texts and inline styles of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, str, str]] = []
        self.headings: list[str] = []
        self.styles: list[str] = []
        self.scripts = 0
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self.scripts += tag == "script"
        self._in = tag if tag in ("h2", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h2":
            self.headings.append(data.strip())
        elif self._in == "style":
            self.styles.append(data)


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(sample())


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def test_nothing_is_loaded_from_the_network(page: str) -> None:
    parsed = _parse(page)
    linked = [
        (tag, name, value)
        for tag, name, value in parsed.attributes
        if name in ("src", "href", "srcset", "action", "data", "poster")
        and re.match(r"\s*(https?:)?//", value, re.I)
    ]
    assert linked == []
    assert not any(tag in ("link", "iframe", "img") for tag, _, _ in parsed.attributes)
    assert not any(name == "src" for tag, name, _ in parsed.attributes if tag == "script")
    css = "\n".join(parsed.styles)
    assert "@import" not in css and "url(" not in css


def test_plotly_js_is_inlined_exactly_once(page: str) -> None:
    bundle = plotly.offline.get_plotlyjs()
    assert page.count(bundle) == 1
    banner = bundle[:60]
    assert page.count(banner) == 1
    assert page.index(bundle) < page.index('class="plotly-graph-div"')
    assert page.count('class="plotly-graph-div"') == 9


def test_every_section_heading_is_there(page: str) -> None:
    headings = _parse(page).headings
    for heading in HEADINGS:
        assert heading in headings


def test_cards_and_findings_explain_the_numbers(page: str) -> None:
    n = THIN
    expected = [
        f"Of the 1{n}204 customers active at the start of May 1997, 1{n}011 were still active at "
        "its end; 57 lapsed customers came back.",
        f"193 of the 1{n}204 customers active at the start of May 1997 had gone 90 days without "
        "an order by its end.",
        f"1{n}730 customers placed 4{n}020 orders between 1 Jan 1997 and 17 Jun 1997.",
        f"In May 1997, CRR was 88.7{n}% and exact retention 84.0{n}%; "
        "57 lapsed customers came back.",
        "January 1997), so its rates are undefined and left blank.",
        "June 1997 is shaded: the data ends on 17 Jun 1997, inside it",
        f"The top 20 % of customers bring 59.0{n}% of revenue, below the 80/20 rule of thumb.",
        "Half of repeat orders come within 24.5 days of the previous one",
        "Customers in the 3–6 months band spend the most: €55.00 each (730 customers).",
        "Overall NPS is +31 from 474 answers (95 % interval +24 to +38).",
        f"€136{n}621",  # revenue card, whole euros
        f"88.7{n}%",
        f"16.0{n}%",
        f"41.2{n}%",
        "€33.99",
    ]
    for text in expected:
        assert text in page, text


def test_period_table_marks_the_partial_row(page: str) -> None:
    rows = re.findall(r"<tr( class=\"partial\")?>\s*<th scope=\"row\">([^<]+)", page)
    assert [(bool(cls), label.strip()) for cls, label in rows] == [
        (label == "1997-06", label) for label in (f"1997-0{i}" for i in range(1, 7))
    ]
    assert '<span class="tag">partial</span>' in page


def test_untrusted_names_are_escaped() -> None:
    data = sample(title=EVIL, source=EVIL)
    tenure = data.tenure.assign(tenure_band=[EVIL, "b", "c", "d"])
    periods = data.periods.assign(period=[f"{EVIL}{i}" for i in range(6)])
    shady = ReportData(**{**data.__dict__, "tenure": tenure, "periods": periods})
    page = render_html(shady)
    assert "alert(1)" in page  # it is there, but only as text
    assert EVIL not in page
    assert "<script>alert" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_without_survey_answers_nps_is_a_note(data_without_nps: ReportData) -> None:
    page = render_html(data_without_nps)
    assert "No survey answers were in the data, so there is no NPS." in page
    assert 'id="chart-nps"' not in page
    assert page.count('class="plotly-graph-div"') == 8
    assert "Net Promoter Score" in _parse(page).headings


def test_long_cohort_tables_show_the_latest_cohorts(data: ReportData) -> None:
    rows = [
        {
            "cohort": f"c{i:02d}",
            "cohort_size": 10 + i,
            "age": age,
            "active_share": 1.0 if age == 0 else 0.3,
            "revenue_per_member_cumulative": 20.0 + age,
        }
        for i in range(50)
        for age in range(50 - i)
    ]
    many = ReportData(**{**data.__dict__, "cohorts": pd.DataFrame(rows)})
    page = render_html(many)
    assert "The chart shows the latest 36 of 50 cohorts" in page
    assert "c49 (59)" in page and "c14 (24)" in page
    assert "c13 (" not in page and "c00 (" not in page
