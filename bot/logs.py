"""Structured (JSON-lines) logs. Callers log ids and kinds only, never personal data.

Tracebacks are logged without the exceptions' messages: a message may quote data (a
database error's parameters or the row it collided with, a validation error's input), and
the frames and exception types say where and what went wrong.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def trace_without_messages(error: BaseException) -> str:
    """The traceback Python would print for `error`, each exception by its type only."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    lines: list[str] = []
    for exc in reversed(chain):
        if lines:
            lines.append("\nwhich led to:\n\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(exc.__traceback__))
        lines.append(_type_name(exc) + "\n")
        if isinstance(exc, BaseExceptionGroup):
            inner = ", ".join(_type_name(sub) for sub in exc.exceptions)
            lines.append(f"  (grouping {inner})\n")
    return "".join(lines).rstrip("\n")


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


class _NoMessagesInTraces(logging.Formatter):
    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:  # noqa: N802
        error = ei[1]
        return "" if error is None else trace_without_messages(error)


class JsonFormatter(_NoMessagesInTraces):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


QUIETED = ("httpx", "httpcore", "aiosqlite", "telegram.ext", "sqlalchemy.engine")
"""Libraries whose INFO lines are per request or per statement: WARNING and up only."""


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_NoMessagesInTraces("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in QUIETED:
        logging.getLogger(noisy).setLevel(logging.WARNING)
