"""`evolve` copies a frozen dataclass like `dataclasses.replace` does."""

from __future__ import annotations

import copy as copy_module
import dataclasses
import pickle
import weakref
from dataclasses import KW_ONLY, dataclass, field

import pytest

from dialogs.flow.context import Context
from dialogs.frozen import builder, evolve


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


@dataclass(frozen=True, slots=True)
class _Pair:
    left: tuple[int, ...]
    right: str = ""


@dataclass(frozen=True)
class _Unslotted:
    a: int
    b: str = ""


@dataclass(frozen=True, slots=True)
class _OwnInit:
    a: int
    b: int

    def __init__(self, a: int, b: int) -> None:
        object.__setattr__(self, "a", abs(a))
        object.__setattr__(self, "b", b)


def test_a_slotted_copy_is_a_frozen_instance_like_any_other() -> None:
    """Slotted classes without `__post_init__` are filled slot by slot, not through __init__."""
    pair = _Pair((1, 2), "x")

    copy = evolve(pair, right="y")

    assert type(copy) is _Pair
    assert copy == _Pair((1, 2), "y") == dataclasses.replace(pair, right="y")
    assert copy.left is pair.left  # a shallow copy, as replace makes
    assert hash(copy) == hash(_Pair((1, 2), "y"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.right = "z"  # type: ignore[misc]


def test_classes_with_their_own_init_or_no_slots_still_run_it() -> None:
    assert evolve(_OwnInit(1, 2), a=-5) == _OwnInit(5, 2)
    assert evolve(_Unslotted(1, "a"), b="b") == _Unslotted(1, "b")


def test_every_field_of_the_context_survives_a_copy() -> None:
    """The context has twenty fields, each copied to its own slot."""
    context = Context(
        locale="es",
        verified_debtor_id=7,
        questions=("birth_date",),
        failed_attempts=1,
        not_understood_count=2,
        offer_revisits=3,
        abuse_count=4,
        proposed_amount_cents=30_000,
        payment_channel="pix",
        agreement_id=9,
        opted_out=True,
        last_question="amount",
        dispute_kind="amount",
        agent_notice_sent=True,
        last_words="seis vezes",
    )

    for name in (f.name for f in dataclasses.fields(Context)):
        assert getattr(evolve(context, abuse_count=5), name) == getattr(
            dataclasses.replace(context, abuse_count=5), name
        )


@dataclass(frozen=True, slots=True, weakref_slot=True)
class _Weak:
    a: int
    b: str = ""


@dataclass(frozen=True, slots=True)
class _Child(_Pair):
    extra: int = 0


def test_a_slotted_copy_behaves_as_one_built_by_init() -> None:
    """The copy is filled as a twin class's instance, then made a `_Pair`: nothing of the
    twin may show (pickling, copying, the class's methods)."""
    copy = evolve(_Pair((1,), "x"), right="y")

    assert type(copy) is _Pair
    assert copy.__class__ is _Pair
    assert pickle.loads(pickle.dumps(copy)) == copy
    assert copy_module.copy(copy) == copy
    assert repr(copy) == "_Pair(left=(1,), right='y')"
    with pytest.raises(AttributeError):
        object.__setattr__(copy, "other", 1)  # still slots only


def test_slotted_classes_with_another_layout_are_copied_too() -> None:
    """A weakref slot or slots split over a base: copied through __init__ instead."""
    weak = evolve(_Weak(1, "a"), b="b")
    child = evolve(_Child((1,), "r", 2), extra=3)

    assert weak == _Weak(1, "b")
    assert weakref.ref(weak)() is weak
    assert child == _Child((1,), "r", 3)
    assert type(child) is _Child


def test_a_context_copy_is_a_context() -> None:
    context = evolve(Context(locale="en"), last_words="oi")

    assert type(context) is Context
    assert context == Context(locale="en", last_words="oi")
    assert hash(context) == hash(Context(locale="en", last_words="oi"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.locale = "es"  # type: ignore[misc]


def test_a_builder_makes_what_the_class_makes_from_the_same_values() -> None:
    make_pair = builder(_Pair)
    make_point = builder(_Point)  # has __post_init__: the class itself, checks included

    assert make_pair((1, 2), "x") == _Pair((1, 2), "x")
    assert type(make_pair((1,), "")) is _Pair
    assert make_point(3, 4, "p") == _Point(3, 4, "p")
    with pytest.raises(ValueError, match="negative"):
        make_point(-1, 0, "")
