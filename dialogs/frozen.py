"""`evolve`: `dataclasses.replace` for the frozen dataclasses every event copies.

`dataclasses.replace` looks up every field's metadata and builds keyword arguments on each
call; the service, its effects and the dialog's handlers copy the chat row, the context and
the turn about ten times per event.
`evolve` reads the fields with one `attrgetter` and calls the class positionally — the same
`__init__` (and checks) runs — in about two thirds of the time.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import Any, TypeVar

_T = TypeVar("_T")
_PLANS: dict[type, tuple[attrgetter[Any], dict[str, int]]] = {}


def evolve(obj: _T, /, **changes: Any) -> _T:
    """A copy of the dataclass instance `obj` with `changes` applied."""
    cls = type(obj)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    read, position = plan
    values = list(read(obj))
    for name, value in changes.items():
        index = position.get(name)
        if index is None:
            raise TypeError(f"{cls.__name__} has no field {name!r} to change")
        values[index] = value
    return cls(*values)


def _plan(cls: type) -> tuple[attrgetter[Any], dict[str, int]]:
    names = [field.name for field in dataclasses.fields(cls)]
    init = cls.__init__.__code__  # type: ignore[misc]
    if init.co_argcount - 1 != len(names) or init.co_kwonlyargcount:
        # init=False, keyword-only or InitVar fields: positions would not line up.
        raise TypeError(f"evolve() needs every field positional in __init__ ({cls.__name__})")
    if len(names) == 1:  # attrgetter of one name returns the value, not a tuple
        raise TypeError(f"evolve() needs two fields or more ({cls.__name__})")
    return attrgetter(*names), {name: index for index, name in enumerate(names)}
