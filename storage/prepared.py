"""Hot statements compiled once per dialect and run straight on the database driver.

A Core statement costs SQLAlchemy ~60 µs per execution on top of the driver (parameter
coercion, compiled-cache lookup, execution context, result metadata); SQLite itself needs
~15 µs and asyncpg ~40 µs. The conversation path runs about ten statements per event, so at
1,000 events/s that overhead alone would eat most of a core. `Prepared` keeps the statement
written in Core — one definition, typed by the table — but compiles it once per dialect into
the driver's SQL, bind order and type processors, and the connection executes that SQL itself.

Use it only for fixed-shape statements built once at import time: every bind parameter named
with `bindparam()`, no expanding `IN`, no Python-side column defaults (pass every value).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.base import Executable

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    """One statement in one dialect: the SQL, and how to turn values into arguments and back."""

    sql: str
    names: tuple[str, ...]  # bind parameter names, in the driver's positional order
    binders: tuple[Processor | None, ...]
    fixed: Mapping[str, Any]  # values the statement carries itself (the 1 in `version + 1`)
    columns: tuple[str, ...]  # result column keys (SELECT list or RETURNING)
    readers: tuple[Processor | None, ...]
    # Only the positions and keys that have a processor: most values (text, integers) go
    # through as they are, and these run for every statement of every event.
    _binding: tuple[tuple[int, Processor], ...] = field(init=False, repr=False, compare=False)
    _reading: tuple[tuple[str, Processor], ...] = field(init=False, repr=False, compare=False)
    # The values of `names` from a mapping, as a tuple, picked in C (`operator.itemgetter`).
    _pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        binding = tuple((i, bind) for i, bind in enumerate(self.binders) if bind is not None)
        reading = tuple(
            (key, read) for key, read in zip(self.columns, self.readers, strict=True) if read
        )
        object.__setattr__(self, "_binding", binding)
        object.__setattr__(self, "_reading", reading)
        object.__setattr__(self, "_pick", picker(self.names))

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """Positional driver arguments for `params` (a missing name is a KeyError: a bug)."""
        fixed = self.fixed
        picked = self._pick({**fixed, **params} if fixed else params)  # `params` wins
        if not self._binding:
            return picked
        values = list(picked)
        try:
            for i, bind in self._binding:
                value = values[i]
                if value is not None:
                    values[i] = bind(value)
        except Exception as error:  # as SQLAlchemy reports a value its type refuses
            raise StatementError(
                str(error), self.sql, dict(params), error, hide_parameters=True
            ) from error
        return tuple(values)

    def driver_error(self, error: Exception, dbapi_error: type[Exception]) -> StatementError:
        """The driver's `error` as SQLAlchemy would raise it (`IntegrityError`, ...)."""
        return DBAPIError.instance(self.sql, None, error, dbapi_error)

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        """A driver row as `{column: python value}`."""
        found = dict(zip(self.columns, raw, strict=True))
        for key, read in self._reading:
            value = found[key]
            if value is not None:
                found[key] = read(value)
        return found


class Prepared:
    """A fixed Core statement and its per-dialect compilations (made on first use).

    Pass the statement, or a function of the dialect name when the statement itself differs
    by dialect (`ON CONFLICT` comes from `sqlalchemy.dialects.<name>.insert`).
    """

    __slots__ = ("_build", "_by_dialect")

    def __init__(self, statement: Executable | Callable[[str], Executable]) -> None:
        self._build = statement
        # By dialect class (name + driver): a dict lookup, no key to build per statement.
        self._by_dialect: dict[type[Dialect], Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        key = type(dialect)
        found = self._by_dialect.get(key)
        if found is None:
            build = self._build
            statement = build(dialect.name) if callable(build) else build
            found = self._by_dialect[key] = _compile(statement, dialect)
        return found


def picker(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """`lambda params: tuple(params[n] for n in names)`, without a Python loop per name."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        (name,) = names
        return lambda params: (params[name],)
    return lambda params: ()


def _remember_last(process: Processor | None) -> Processor | None:
    """`process`, answering a repeat of its last date or datetime from memory.

    An event passes the same `now` to most of its statements, and turning a datetime into
    what the driver stores (timezone check, then text on SQLite) is the costliest binding.
    """
    if process is None:
        return None
    last_in: Any = None
    last_out: Any = None

    def remembered(value: Any) -> Any:
        nonlocal last_in, last_out
        if not isinstance(value, date):  # only immutable values can be remembered by identity
            return process(value)
        if value is not last_in:
            last_in, last_out = value, process(value)
        return last_out

    return remembered


def bound(*names: str) -> dict[str, BindParameter[Any]]:
    """`{name: bindparam(name)}` for an INSERT's or UPDATE's `.values(...)`."""
    return {name: bindparam(name) for name in names}


def _compile(statement: Executable, dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    if not compiled.positional:
        raise TypeError(f"{dialect.name}: Prepared needs a positional paramstyle")
    defaulted = [*compiled.insert_prefetch, *compiled.update_prefetch]
    if defaulted:  # SQLAlchemy fills these in per execution; the driver would store NULL
        missing = ", ".join(sorted(str(column.key) for column in defaulted))
        raise TypeError(f"Prepared statements must set every column with a default: {missing}")
    binds = [compiled.binds[name] for name in names]
    binders = tuple(
        _remember_last(bind.type.dialect_impl(dialect).bind_processor(dialect)) for bind in binds
    )
    fixed = {
        name: bind.value
        for name, bind in zip(names, binds, strict=True)
        if not bind.required and bind.callable is None
    }
    exported = list(getattr(statement, "exported_columns", ()))
    columns = tuple(str(column.key) for column in exported)
    readers = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in exported
    )
    return Compiled(str(compiled), names, binders, fixed, columns, readers)
