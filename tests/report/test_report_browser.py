"""The report in a real browser (Debian's chromium via Playwright): it draws every chart
offline, without console errors or network requests, and the cohort toggle works.

Needs `pip install 'holdfast[browser]'` and `apt-get install -y chromium` (never
`playwright install`: it downloads browsers); skips with the reason when either is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_sample import sample

from holdfast.report import render_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install 'holdfast[browser]')"
)
if not CHROMIUM.exists() and not shutil.which("chromium"):
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("with_nps", [True, False])
def test_report_renders_offline(browser, tmp_path: Path, with_nps: bool) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_html(sample(with_nps=with_nps)), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    expected = 9 if with_nps else 8
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}"
    )
    assert page.locator(".js-plotly-plot").count() == expected
    assert problems == []
    assert [url for url in requests if not url.startswith("file:")] == []
    titles = page.eval_on_selector_all(
        ".modebar-btn", "buttons => buttons.map(b => b.getAttribute('data-title'))"
    )
    assert "Download plot as a PNG" in titles
    assert not any("Share" in (title or "") for title in titles)  # no upload to Plotly Cloud

    # the cohort chart's buttons switch from the share buying to revenue per member
    visible = "document.getElementById('chart-cohorts').data.map(t => t.visible !== false)"
    assert page.evaluate(visible) == [True, False]
    page.locator("#chart-cohorts .updatemenu-button").nth(1).click()
    page.wait_for_function(f"{visible}[1]")
    assert page.evaluate(visible) == [False, True]
    assert problems == []
    page.close()
