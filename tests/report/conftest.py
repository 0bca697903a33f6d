"""The hand-made sample report (see report_sample.py), with and without survey answers."""

from __future__ import annotations

import pytest
from report_sample import sample

from holdfast.report import ReportData


@pytest.fixture
def data() -> ReportData:
    return sample()


@pytest.fixture
def data_without_nps() -> ReportData:
    return sample(with_nps=False)
