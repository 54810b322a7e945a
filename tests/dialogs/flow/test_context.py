"""The context survives the database: JSON round trips are exact, except the debtor's
snapshot, which is not stored (the service reads it from storage before every step)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dialogs.flow import Context, initial_context
from dialogs.flow.snapshots import AgreementSnapshot, InstallmentSnapshot
from tests.dialogs.flow.driver import marcos
from tests.dialogs.flow.scenarios import REACH


def test_every_reachable_context_round_trips_exactly_but_the_debtor() -> None:
    for reach in REACH.values():
        context = reach().context
        assert Context.parse_json(context.to_json()) == replace(context, debtor=None)


def test_reading_back_what_was_just_written_gives_what_parsing_gives() -> None:
    for reach in REACH.values():
        context = reach().context
        raw = context.to_json()
        assert Context.from_json(raw) == Context.parse_json(raw) == replace(context, debtor=None)
        written_elsewhere = raw.replace('"locale":', ' "locale":', 1)  # same value, new text
        assert Context.from_json(written_elsewhere) == Context.from_json(raw)


def test_the_stored_context_holds_no_personal_data() -> None:
    context = initial_context().with_debtor(marcos())
    stored = context.to_json()
    assert context.debtor is not None
    assert context.debtor.name not in stored
    assert context.debtor.cpf not in stored


def test_initial_context_keeps_the_locale() -> None:
    context = initial_context("es")
    assert context.locale == "es"
    assert Context.parse_json(context.to_json()) == context
    assert context.with_locale("en").locale == "en"


def test_with_debtor_picks_up_the_active_agreement() -> None:
    agreement = AgreementSnapshot(
        agreement_id=5,
        payment_channel="pix",
        status="active",
        total_cents=1000,
        installments=(InstallmentSnapshot(1, 1000, date(2026, 12, 1), "pending"),),
    )
    context = initial_context().with_debtor(marcos(agreements=(agreement,)))
    assert context.agreement_id == 5
    assert context.active_agreement == agreement


aware = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(
    failed=st.integers(0, 10),
    locked=st.none() | aware,
    words=st.text(max_size=300),
    promised=st.none() | st.dates(),
    channel=st.none() | st.sampled_from(["pix", "boleto", "card"]),
)
def test_round_trip_property(
    failed: int,
    locked: datetime | None,
    words: str,
    promised: date | None,
    channel: str | None,
) -> None:
    context = Context(
        debtor=marcos(),
        failed_attempts=failed,
        locked_until=locked,
        last_words=words,
        promised_date=promised,
        payment_channel=channel,
        questions=("cpf_prefix",),
    )
    back = Context.parse_json(context.to_json())
    assert back == replace(context, debtor=None)
    if locked is not None:
        assert back.locked_until is not None
        assert back.locked_until.utcoffset() == timedelta(0)


def test_a_finished_agreement_is_forgotten_on_refresh() -> None:
    active = AgreementSnapshot(5, "pix", "active", 1000, ())
    context = initial_context().with_debtor(marcos(agreements=(active,)))
    done = AgreementSnapshot(5, "pix", "completed", 1000, ())
    newer = AgreementSnapshot(6, "boleto", "active", 2000, ())
    assert context.with_debtor(marcos(agreements=(done,))).agreement_id is None
    assert context.with_debtor(marcos(agreements=(done, newer))).agreement_id == 6
