"""SQLite: the statements every event and every reply run stay cheap to evaluate.

Two costs hide in a statement's text and its table's schema: `RETURNING`, and a CHECK written
`column IN ('a', 'b', 'c')`. For either, SQLite builds a temporary table on every execution
(an executemany, once per row): together they were ~20 % of an event's instructions. A test
reads each statement's program for the instruction that opens one.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import make_url

from storage.models import one_of_columns
from storage.repositories import agreements, conversations, jobs, messages, outbox, replies
from tests.storage.helpers import explain_sqlite

EVERY_EVENT = {
    "store an inbound message": messages._ADD_INBOUND,
    "store a reply": replies._MESSAGE,
    "queue a reply": replies._DELIVERY,
    "save a step": conversations._SAVE_STEP,
    "save a step that links or hands over": conversations._SAVE,
    "schedule a reminder": jobs._SCHEDULE_QUIETLY,
    "add an installment": agreements._ADD_INSTALLMENT,
    "move a debt under an agreement": agreements._DEBT_UNDER_AGREEMENT,
    "mark a reply sent": outbox._MARK_SENT,
    "give its message the platform's id": outbox._ATTACH_CHANNEL_ID,
}


@pytest.mark.parametrize("work", sorted(EVERY_EVENT))
def test_an_events_statements_build_no_temporary_table(sqlite_url: str, work: str) -> None:
    assert "OpenEphemeral" not in explain_sqlite(sqlite_url, EVERY_EVENT[work])


def test_each_check_spells_out_the_models_values(sqlite_url: str) -> None:
    path = make_url(sqlite_url).database
    assert path is not None
    with closing(sqlite3.connect(path)) as connection:
        schema = dict(connection.execute("SELECT name, sql FROM sqlite_master WHERE type='table'"))
    for (table, column), values in one_of_columns().items():
        found = re.search(rf"CONSTRAINT ck_{table}_{column} CHECK \(([^)]*)\)", schema[table])
        assert found is not None, (table, column)
        spelled = " OR ".join(f"{column} = '{value}'" for value in values)
        assert found.group(1) == spelled, (table, column)
    assert not any(" IN (" in sql for sql in schema.values()), "a CHECK lists its values"
