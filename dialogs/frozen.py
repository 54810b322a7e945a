"""`evolve`: `dataclasses.replace` for the frozen dataclasses every event copies.

`dataclasses.replace` looks up every field's metadata and builds keyword arguments on each
call; the service, its effects and the dialog's handlers copy the chat row, the context and
the turn about ten times per event.
`evolve` reads the fields with one `attrgetter` and builds the copy positionally. A frozen
dataclass's `__init__` sets each field through `object.__setattr__` (~1,400 instructions a
field, the context has twenty), so for a slotted class without `__post_init__` — where that
`__init__` does nothing else — the copy's slots are set straight through their descriptors,
in about half the time. Any other class runs its own `__init__` (and checks).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from types import MemberDescriptorType
from typing import Any, TypeVar

_T = TypeVar("_T")
_PLANS: dict[type, tuple[attrgetter[Any], dict[str, int], Callable[..., Any]]] = {}


def evolve(obj: _T, /, **changes: Any) -> _T:
    """A copy of the dataclass instance `obj` with `changes` applied."""
    cls = type(obj)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    read, position, build = plan
    values = list(read(obj))
    for name, value in changes.items():
        index = position.get(name)
        if index is None:
            raise TypeError(f"{cls.__name__} has no field {name!r} to change")
        values[index] = value
    built: _T = build(*values)
    return built


def _plan(cls: type) -> tuple[attrgetter[Any], dict[str, int], Callable[..., Any]]:
    names = [field.name for field in dataclasses.fields(cls)]
    init = cls.__init__.__code__  # type: ignore[misc]
    if init.co_argcount - 1 != len(names) or init.co_kwonlyargcount:
        # init=False, keyword-only or InitVar fields: positions would not line up.
        raise TypeError(f"evolve() needs every field positional in __init__ ({cls.__name__})")
    if len(names) == 1:  # attrgetter of one name returns the value, not a tuple
        raise TypeError(f"evolve() needs two fields or more ({cls.__name__})")
    position = {name: index for index, name in enumerate(names)}
    return attrgetter(*names), position, _slot_builder(cls, names) or cls


def _slot_builder(cls: type, names: list[str]) -> Callable[..., Any] | None:
    """A function of the field values that fills a new `cls` as the generated `__init__`
    would, or None when `__init__` may do more (its own code, `__post_init__`, no slots)."""
    slots = [cls.__dict__.get(name) for name in names]
    generated = cls.__init__.__code__.co_filename == "<string>"  # type: ignore[misc]
    if not generated or hasattr(cls, "__post_init__"):
        return None
    if not all(isinstance(slot, MemberDescriptorType) for slot in slots):
        return None
    arguments = ", ".join(f"v{index}" for index in range(len(names)))
    lines = [f"def build({arguments}):", "    new = _new(_cls)"]
    lines += [f"    _set{index}(new, v{index})" for index in range(len(names))]
    lines.append("    return new")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    setters = {f"_set{index}": slot.__set__ for index, slot in enumerate(slots)}  # type: ignore[union-attr]
    namespace.update(setters)
    # Like dataclasses' own __init__: generated from the field names, one line per field.
    exec("\n".join(lines), namespace)  # noqa: S102 - code built from field names alone
    builder: Callable[..., Any] = namespace["build"]
    return builder
