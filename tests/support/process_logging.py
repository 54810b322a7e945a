"""Commands configure the whole process's logging (`bot.logs.configure_logging`): root
handlers, root level, quieter third-party loggers. A test that runs one puts it back, so
the tests after it log, and capture logs, as before."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from bot.logs import QUIETED


@contextlib.contextmanager
def process_logging_restored() -> Iterator[None]:
    """Use inside one test's body (pytest swaps its own capture handlers between phases)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    named = {name: logging.getLogger(name).level for name in (*QUIETED, "alembic")}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, named_level in named.items():
            logging.getLogger(name).setLevel(named_level)
