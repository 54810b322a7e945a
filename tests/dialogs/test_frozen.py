"""`evolve` copies a frozen dataclass like `dataclasses.replace` does."""

from __future__ import annotations

import dataclasses
from dataclasses import KW_ONLY, dataclass, field

import pytest

from dialogs.flow.context import Context
from dialogs.frozen import evolve


@dataclass(frozen=True, slots=True)
class _Point:
    x: int
    y: int = 0
    label: str = ""

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x must not be negative")


def test_evolve_changes_only_the_named_fields() -> None:
    point = _Point(1, 2, "a")

    moved = evolve(point, y=5)

    assert moved == _Point(1, 5, "a") == dataclasses.replace(point, y=5)
    assert point == _Point(1, 2, "a")  # the original is untouched


def test_evolve_runs_the_class_checks() -> None:
    with pytest.raises(ValueError, match="negative"):
        evolve(_Point(1), x=-1)


def test_evolve_refuses_an_unknown_field() -> None:
    with pytest.raises(TypeError, match="no field 'z'"):
        evolve(_Point(1), z=3)


def test_evolve_matches_replace_on_the_dialog_context() -> None:
    context = Context(locale="en", failed_attempts=2, last_words="oi")

    assert evolve(context, failed_attempts=3) == dataclasses.replace(context, failed_attempts=3)


def test_evolve_refuses_classes_whose_fields_are_not_all_positional() -> None:
    @dataclass(frozen=True)
    class KeywordOnly:
        a: int
        _: KW_ONLY
        b: int = 0

    @dataclass(frozen=True)
    class Derived:
        a: int
        b: int = field(init=False, default=0)

    for instance in (KeywordOnly(1, b=2), Derived(1)):
        with pytest.raises(TypeError, match="positional"):
            evolve(instance, a=2)
