"""`evolve`: `dataclasses.replace` for the frozen dataclasses every event copies.

`dataclasses.replace` looks up every field's metadata and builds keyword arguments on each
call; the service, its effects and the dialog's handlers copy the chat row, the context and
the turn about ten times per event.
`evolve` reads the fields with one `attrgetter` and builds the copy positionally. A frozen
dataclass's `__init__` sets each field through `object.__setattr__` (~1,400 instructions a
field, the context has twenty), so for a slotted class without `__post_init__` — where that
`__init__` does nothing else — the copy is filled as an instance of an unfrozen twin with the
same slots, whose plain attribute stores the interpreter specializes (a few dozen
instructions a field), and then becomes the class's own (one `__class__` store). Any other
class runs its own `__init__` (and checks).
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
        plan = _plan_of(cls)
    read, position, build = plan
    values = list(read(obj))
    for name, value in changes.items():
        index = position.get(name)
        if index is None:
            raise TypeError(f"{cls.__name__} has no field {name!r} to change")
        values[index] = value
    built: _T = build(*values)
    return built


def builder(cls: type[_T]) -> Callable[..., _T]:
    """A constructor of `cls` taking every field positionally, filling the instance as
    `evolve` fills its copies: for readers that build many instances from stored rows."""
    build: Callable[..., _T] = _plan_of(cls)[2]
    return build


def _plan_of(cls: type) -> tuple[attrgetter[Any], dict[str, int], Callable[..., Any]]:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    return plan


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
    generated = cls.__init__.__code__.co_filename == "<string>"  # type: ignore[misc]
    if not generated or hasattr(cls, "__post_init__"):
        return None
    twin = _twin(cls, names)
    if twin is None:
        return None
    arguments = ", ".join(f"v{index}" for index in range(len(names)))
    lines = [f"def build({arguments}):", "    new = _new(_twin)"]
    lines += [f"    new.{name} = v{index}" for index, name in enumerate(names)]
    lines += ["    new.__class__ = _cls", "    return new"]
    namespace: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    # Like dataclasses' own __init__: generated from the field names, one line per field.
    exec("\n".join(lines), namespace)  # noqa: S102 - code built from field names alone
    builder: Callable[..., Any] = namespace["build"]
    return builder


def _twin(cls: type, names: list[str]) -> type | None:
    """A plain class with `cls`'s slots (the same memory layout, so an instance may change
    its class to `cls`), or None when `cls` is not simply slots over `object`."""
    slots = cls.__dict__.get("__slots__")
    if cls.__bases__ != (object,) or not isinstance(slots, tuple) or list(slots) != names:
        return None
    if not all(isinstance(cls.__dict__.get(name), MemberDescriptorType) for name in names):
        return None
    twin = type(f"_Unfrozen{cls.__name__}", (), {"__slots__": slots})
    probe: Any = object.__new__(twin)
    try:
        probe.__class__ = cls
    except TypeError:  # a layout the interpreter will not swap (weakref slot, …)
        return None
    return twin
