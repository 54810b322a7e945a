"""`quita report`: the same figures on the command line, as CSV or JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from storage.database import Database
from tests.conftest import run_in_fresh_loop
from tests.storage.test_reports import seed_portfolio


async def _seed(url: str) -> None:
    db = Database(url)
    try:
        await seed_portfolio(db)
    finally:
        await db.dispose()


def test_report_as_json_and_csv(sqlite_url: str) -> None:
    run_in_fresh_loop(lambda: _seed(sqlite_url))
    env = {"QUITA_DATABASE_URL": sqlite_url}
    args = ["report", "--from", "2026-11-01", "--to", "2026-11-20"]
    as_json = CliRunner().invoke(main, [*args, "--format", "json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["funnel"][0] == {"stage": "contacted", "debtors": 3}
    assert {"figure": "recovered", "value": "2250.00"} in data["summary"]
    as_csv = CliRunner().invoke(main, [*args, "--decimal-comma"], env=env)
    assert as_csv.exit_code == 0, as_csv.output
    lines = as_csv.output.splitlines()
    start = lines.index("# messages")
    assert lines[start + 1 : start + 4] == [
        "channel;sent;failed;received",
        "telegram;3;1;1",
        "webchat;3;0;1",
    ]
    assert "recovered;2250,00" in as_csv.output


def test_to_before_from_is_refused() -> None:
    result = CliRunner().invoke(main, ["report", "--from", "2026-11-20", "--to", "2026-11-01"])
    assert result.exit_code == 2
    assert "--to is before --from" in result.output
