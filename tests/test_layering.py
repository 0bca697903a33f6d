"""Imports point one way (DESIGN.md): a lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "holdfast"

# layer -> holdfast packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": {"errors"},
    "domain": {"errors"},
    "analytics": {"errors"},
    "models": {"errors"},
    "simulate": {"errors", "domain"},
    "store": {"errors", "domain", "config"},
    "channels": {"errors", "domain", "config"},
    "report": {"errors", "domain"},
    "services": {
        "errors",
        "domain",
        "analytics",
        "models",
        "store",
        "channels",
        "config",
        "report",
        "simulate",
    },
    "api": {"errors", "services", "config", "domain"},
    "cli": {"errors", "services", "config", "domain", "cli", "simulate"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _holdfast_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "holdfast" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_no_upward_imports() -> None:
    violations = []
    for path in sorted(SRC.rglob("*.py")):
        layer = _layer(path)
        if layer == "__init__":
            continue
        allowed = ALLOWED.get(layer)
        assert allowed is not None, f"{path}: layer {layer!r} is not in the layering table"
        for target in _holdfast_imports(path) - {layer}:
            if target not in allowed and target != "__init__":
                violations.append(f"{path.relative_to(SRC)} imports holdfast.{target}")
    assert not violations, "upward imports:\n" + "\n".join(violations)
