"""``holdfast demo``: a synthetic shop, imported into a SQLite store, measured in a report.

It walks the whole main job a user would: export files → import → score the customers
(segments, stages, value) → analyse the store → an HTML report, so a fresh install shows what
holdfast does without any data of one's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from holdfast.errors import UserError
from holdfast.report import render_html
from holdfast.services.ingest import ImportRequest, ImportSummary, import_file
from holdfast.services.reports import ReportOptions, build_report
from holdfast.services.scoring import score
from holdfast.services.sources import open_store
from holdfast.simulate import SimulationConfig, simulate_to

#: The files ``holdfast simulate`` writes, in the order they must be imported.
IMPORTS = (
    ("customers", "customers.parquet"),
    ("orders", "orders.parquet"),
    ("order-lines", "order_lines.parquet"),
    ("subscriptions", "subscriptions.parquet"),
    ("surveys", "survey_responses.parquet"),
)


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put things and what the imports did."""

    folder: Path
    store_url: str
    report: Path
    imports: list[ImportSummary]


def run_demo(
    folder: Path,
    *,
    customers: int = 5_000,
    seed: int = 42,
    force: bool = False,
    step: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Simulate ``customers`` into ``folder``, import them into ``folder/holdfast.db`` and
    write ``folder/report.html``."""
    store = folder / "holdfast.db"
    if store.exists() and not force:
        raise UserError(f"{folder} already holds a demo store; give --force to start over")
    step("drawing a synthetic shop")
    simulate_to(
        SimulationConfig(customers=customers, seed=seed), folder, "parquet", False, force=force
    )
    for name in ("holdfast.db", "holdfast.db-wal", "holdfast.db-shm"):
        (folder / name).unlink(missing_ok=True)
    url = f"sqlite:///{store.resolve()}"
    summaries = []
    for kind, file in IMPORTS:
        step(f"importing {kind}")
        summaries.append(import_file(ImportRequest(kind=kind, path=folder / file), url))
    step("scoring customers")
    score(url)
    step("measuring retention")
    source = open_store(url)
    try:
        options = ReportOptions(title="holdfast demo shop")
        data = build_report(source, options, step, store_url=url)
    finally:
        source.close()
    report = folder / "report.html"
    report.write_text(render_html(data), encoding="utf-8")
    return DemoResult(folder, url, report, summaries)
