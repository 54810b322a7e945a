"""`dialogs/` is pure: no I/O libraries, no runtime packages, no clock reads (AST scan)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"
FORBIDDEN_IMPORTS = {
    "bot", "storage", "aiohttp", "sqlalchemy", "sqlmodel", "telegram", "httpx", "requests",
    "os", "socket", "subprocess", "asyncpg", "aiosqlite", "urllib", "http", "random", "time",
}  # fmt: skip
CLOCK_CALLS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("time", "time"), ("time", "monotonic"), ("time", "perf_counter"),
}  # fmt: skip
MODULES = sorted(DIALOGS.rglob("*.py"))


def _imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _clock_calls(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(f"{name}.{node.func.attr}() at line {node.lineno}")
    return found


def test_there_are_modules_to_scan() -> None:
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DIALOGS)))
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert not (_imported_roots(tree) & FORBIDDEN_IMPORTS)
    assert _clock_calls(tree) == []


def test_the_scan_catches_offenders() -> None:
    bad = ast.parse(
        "import os\nfrom bot.app import x\nfrom datetime import datetime\ndatetime.now()"
    )
    assert _imported_roots(bad) & FORBIDDEN_IMPORTS == {"os", "bot"}
    assert _clock_calls(bad) == ["datetime.now() at line 4"]
