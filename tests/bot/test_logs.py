"""Logged failures say where and what went wrong, never whose data was involved."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.logs import JsonFormatter, configure_logging, trace_without_messages
from storage import Database, tables
from tests.support.process_logging import process_logging_restored

PHONE = "5511987654321"  # a WhatsApp address is a phone number: personal data
CPF = "529.982.247-25"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def fail_handling(cause: BaseException) -> None:
    raise RuntimeError("handling failed") from cause


def check_cpf() -> None:
    raise ValueError(f"CPF {CPF} não confere")


def check_batch() -> None:
    try:
        check_cpf()
    except ValueError as inner:
        raise ExceptionGroup("batch", [KeyError(CPF), inner]) from inner


async def add_contact(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.connection.execute(
            insert(tables.contact).values(
                channel="whatsapp", address=PHONE, failed_attempts=0, created_at=NOW
            )
        )


async def test_a_database_error_is_logged_without_the_row_it_collided_with(
    db: Database, logged: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, out = logged
    await add_contact(db)
    with pytest.raises(IntegrityError) as raised:
        await add_contact(db)  # the same address again: a unique key collision

    try:
        fail_handling(raised.value)
    except RuntimeError:
        logger.exception("event could not be handled")

    entry = json.loads(out.getvalue())
    assert entry["msg"] == "event could not be handled"
    assert entry["error"] == "RuntimeError"
    assert "sqlalchemy.exc.IntegrityError" in entry["trace"]
    assert "in add_contact" in entry["trace"]  # where it happened
    assert PHONE not in out.getvalue()


async def test_sqlalchemy_leaves_the_parameters_out_of_its_errors(sqlite_db: Database) -> None:
    await add_contact(sqlite_db)
    with pytest.raises(IntegrityError) as raised:
        await add_contact(sqlite_db)

    assert "UNIQUE constraint failed" in str(raised.value)
    assert PHONE not in str(raised.value)


def test_messages_of_chained_and_grouped_exceptions_are_left_out() -> None:
    try:
        check_batch()
    except ExceptionGroup as error:
        trace = trace_without_messages(error)

    assert "\nValueError\n" in trace
    assert "in check_cpf" in trace
    assert "ExceptionGroup" in trace
    assert "(grouping KeyError, ValueError)" in trace
    assert trace.count("Traceback (most recent call last):") == 2
    assert CPF not in trace


def test_the_demo_s_plain_text_logs_leave_messages_out_too() -> None:
    with process_logging_restored():
        configure_logging("INFO", json_lines=False)
        formatter = logging.getLogger().handlers[0].formatter
        assert formatter is not None
        try:
            check_cpf()
        except ValueError:
            record = logging.LogRecord(
                "t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
            )
            text = formatter.format(record)

    assert text.startswith("ERROR t: failed")
    assert "ValueError" in text
    assert CPF not in text
