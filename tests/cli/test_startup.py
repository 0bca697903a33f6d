"""``holdfast --help`` stays cheap: the help of every command loads no data stack, no service."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "scipy", "ibis", "sqlalchemy", "duckdb", "pyarrow")
HEAVY_HOLDFAST = ("services", "models", "analytics", "store", "report", "simulate")

# Runs in a fresh interpreter: the help of every command and group, then what was imported.
PROBE = """
import json, sys
import typer
from typer.testing import CliRunner
from holdfast.cli import app

def paths(command, path=()):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from paths(sub, (*path, name))

runner = CliRunner()
codes = {
    " ".join(path): runner.invoke(app, [*path, "--help"]).exit_code
    for path in paths(typer.main.get_command(app))
}
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def _heavy(name: str) -> bool:
    top, _, rest = name.partition(".")
    if top == "holdfast":
        return rest.partition(".")[0] in HEAVY_HOLDFAST
    return top in HEAVY


@pytest.fixture(scope="module")
def probe() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_help_imports_no_heavy_module(probe: dict) -> None:
    assert [m for m in probe["modules"] if _heavy(m)] == []


def test_every_command_help_exits_0(probe: dict) -> None:
    codes = probe["codes"]
    assert {"", "report", "fit", "demo", "points earn", "coupon redeem", "db upgrade"} <= set(codes)
    assert {path: code for path, code in codes.items() if code != 0} == {}
