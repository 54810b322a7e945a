"""The policy loader: the example file is the default, and a wrong key is named clearly."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from dialogs.negotiation.policy import Policy, PolicyError, default_policy, load_policy
from tests.dialogs.negotiation.support import EXAMPLE_CREDITOR, EXAMPLE_POLICY, policy_with


def test_example_file_and_default_policy_agree() -> None:
    assert load_policy(EXAMPLE_POLICY.read_text(encoding="utf-8")) == default_policy()


def test_example_file_spells_out_every_key(policy: Policy) -> None:
    """Every section and key the loader knows appears in the documented example."""
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    for section_name, section in policy:
        assert f"[{section_name}]" in text or f"[[{section_name}]]" in text
        if section_name == "templates":
            continue
        for field_name, field in type(section).model_fields.items():
            key = field.validation_alias if isinstance(field.validation_alias, str) else field_name
            written = f"\n{key} = " in text or f"\n[{section_name}.{key}]" in text
            assert written, f"{section_name}.{key} is not in the example file"


def test_defaults_are_the_documented_values(policy: Policy) -> None:
    assert policy.creditor.name == "Loja Exemplo Ltda"
    assert policy.creditor.document == "12.345.678/0001-95"
    assert policy.creditor.document_kind == "CNPJ"
    assert policy.creditor.pix_city == "SAO PAULO"
    assert policy.charges.consumer is True
    assert policy.charges.late_fee_percent == Decimal(2)
    assert policy.charges.monthly_interest_percent == Decimal(1)
    assert policy.offers.max_installments == 12
    assert policy.offers.min_installment_cents == 5000
    assert policy.offers.first_due_max_days == 10
    assert policy.offers.promise_max_days == 15
    assert policy.offers.plan_counts_shown == (2, 3, 6, 12)
    assert policy.verification.method == "cpf_prefix"
    assert policy.verification.max_attempts == 3
    assert policy.verification.lock_minutes == 30
    assert policy.escalation.max_not_understood == 3
    assert policy.channels.payment == ("pix", "boleto", "card")
    assert policy.channels.card_link(7, 2) == "https://pay.example/7/2"
    assert policy.contact.timezone == "America/Sao_Paulo"
    assert policy.contact.state == "SP"
    assert (policy.contact.max_per_day, policy.contact.max_per_week) == (1, 3)
    assert [step.offset_days for step in policy.cadence.installment_steps] == [-3, 0, 1, 3]
    assert policy.cadence.promise_followup_days == 1
    template = policy.template("installment_reminder")
    assert template is not None
    assert template.params == ("name", "amount", "due_date")


def test_contact_windows_follow_sao_paulo_law(policy: Policy) -> None:
    monday, saturday, sunday = date(2026, 11, 23), date(2026, 11, 28), date(2026, 11, 29)
    weekday_window = policy.contact.window_on(monday)
    saturday_window = policy.contact.window_on(saturday)
    assert weekday_window is not None
    assert saturday_window is not None
    assert weekday_window.contains(time(8, 0))
    assert weekday_window.contains(time(19, 59))
    assert not weekday_window.contains(time(20, 0))
    assert not weekday_window.contains(time(7, 59))
    assert saturday_window.contains(time(13, 59))
    assert not saturday_window.contains(time(14, 0))
    assert policy.contact.window_on(sunday) is None


def test_only_the_creditor_is_required() -> None:
    assert load_policy(EXAMPLE_CREDITOR) == default_policy()


def test_policy_is_immutable(policy: Policy) -> None:
    with pytest.raises(ValueError, match="frozen"):
        policy.offers.max_installments = 99  # type: ignore[misc]


def test_business_debts_may_have_a_higher_late_fee() -> None:
    policy = policy_with(charges="consumer = false\nlate_fee_percent = 2.5")
    assert policy.charges.late_fee_percent == Decimal("2.5")


def test_creditor_may_be_a_person_or_an_alphanumeric_cnpj() -> None:
    person = load_policy(EXAMPLE_CREDITOR.replace("12.345.678/0001-95", "529.982.247-25"))
    assert person.creditor.document_kind == "CPF"
    assert person.creditor.document == "529.982.247-25"
    new_cnpj = load_policy(EXAMPLE_CREDITOR.replace("12.345.678/0001-95", "12.ABC.345/01DE-35"))
    assert new_cnpj.creditor.document_kind == "CNPJ"


def test_amounts_in_reais_become_cents() -> None:
    assert policy_with(offers='min_installment = "75.50"').offers.min_installment_cents == 7550
    assert policy_with(offers="min_installment = 80").offers.min_installment_cents == 8000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            EXAMPLE_CREDITOR + "[charges]\nlate_fee_percent = 2.5",
            "charges.late_fee_percent: 2.5 is above the 2% CDC art. 52 §1 limit for consumer debts",
            id="late-fee-above-cdc",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[charges]\nconsumer = true\nlate_fee_percent = 3",
            "charges.late_fee_percent: 3 is above the 2% CDC art. 52 §1 limit",
            id="late-fee-3",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[channels]\npayment = ["pix", "cheque"]',
            "channels.payment[1]: Input should be 'pix', 'boleto' or 'card'",
            id="unknown-payment-channel",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[channels]\npayment = []",
            "channels.payment: enable at least one",
            id="no-payment-channel",
        ),
        pytest.param(
            EXAMPLE_CREDITOR.replace("0001-95", "0001-96"),
            "creditor.document: '12.345.678/0001-96' is not a valid CNPJ or CPF",
            id="bad-cnpj",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[contact.windows]\nmon = { start = "18:00", end = "08:00" }',
            "contact.windows.mon: end 08:00 is not after start 18:00",
            id="window-end-before-start",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[contact.windows]\nsunday = { start = "08:00", end = "12:00" }',
            "contact.windows.sunday",
            id="unknown-weekday",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[contact]\nstate = "XX"',
            "contact.state: 'XX' is not a Brazilian state",
            id="unknown-state",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[contact]\ntimezone = "Mars/Olympus"',
            "contact.timezone: 'Mars/Olympus' is not an IANA time zone",
            id="unknown-zone",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[offers]\nmax_installment = 12",
            "offers.max_installment: unknown key",
            id="typo-is-reported",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[offers]\nplan_counts_shown = [2, 3, 24]",
            "offers.plan_counts_shown: 24 is above offers.max_installments (12)",
            id="shown-plan-above-max",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[offers]\nmin_installment = "49.999"',
            "offers.min_installment: '49.999' has more than two decimal places",
            id="fraction-of-a-cent",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[offers]\nmin_down_payment_percent = 100",
            "offers.min_down_payment_percent: 100% would be the whole debt",
            id="down-payment-everything",
        ),
        pytest.param(
            EXAMPLE_CREDITOR
            + "[offers]\ncash_discount_tiers = [{ min_days_late = 90, percent = 10 },"
            " { min_days_late = 30, percent = 5 }]",
            "offers.cash_discount_tiers: list tiers by increasing min_days_late",
            id="tiers-out-of-order",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[offers]\nmax_installments = 30",
            "agent.max_installments: 18 is below offers.max_installments (30)",
            id="agent-narrower-than-bot",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[verification]\nmethod = 'selfie'",
            "verification.method: Input should be 'cpf_prefix', 'birth_date' or 'both'",
            id="unknown-verification",
        ),
        pytest.param(
            EXAMPLE_CREDITOR
            + "[cadence]\ninstallment_steps = [{ offset_days = -1, message = 'reminder.x',"
            " template = 'missing' }]",
            "cadence.installment_steps[0].template: 'missing' is not a key in [[templates]]",
            id="unknown-template",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[channels]\ncard_link_template = "https://pay.example/{id}"',
            "channels.card_link_template: 'https://pay.example/{id}' must use exactly",
            id="card-link-placeholders",
        ),
        pytest.param(
            EXAMPLE_CREDITOR.replace('pix_city = "SAO PAULO"', 'pix_city = "SÃO PAULO"'),
            "creditor.pix_city: 'SÃO PAULO': PIX codes take the city without accents",
            id="accented-pix-city",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[offers]\nmin_installment = 0",
            "offers.min_installment: must be at least 0.01",
            id="zero-minimum-installment",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + '[charges]\nmonthly_interest_percent = "inf"',
            "charges.monthly_interest_percent: Input should be a finite number",
            id="infinite-interest",
        ),
        pytest.param(
            EXAMPLE_CREDITOR + "[charges]\nmonthly_interest_percent = 101",
            "charges.monthly_interest_percent: Input should be less than or equal to 100",
            id="interest-above-100",
        ),
        pytest.param(
            "[charges]\nlate_fee_percent = 1",
            "creditor: required key is missing",
            id="no-creditor",
        ),
        pytest.param(
            "[creditor\nname = 1",
            "not valid TOML",
            id="broken-toml",
        ),
    ],
)
def test_invalid_policy_names_the_key(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(text)
    assert any(problem.startswith(expected) for problem in caught.value.problems), (
        caught.value.problems
    )


def test_every_problem_is_reported_at_once() -> None:
    text = EXAMPLE_CREDITOR.replace("0001-95", "0001-96") + "[charges]\nlate_fee_percent = 5"
    with pytest.raises(PolicyError) as caught:
        load_policy(text)
    assert len(caught.value.problems) == 2
    assert str(caught.value).count("\n") == 1


def test_days_left_out_of_the_windows_have_no_contact() -> None:
    policy = load_policy(
        EXAMPLE_CREDITOR + '[contact.windows]\nmon = { start = "09:00", end = "19:00" }'
    )
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)
    window = policy.contact.window_on(monday)
    assert window is not None
    assert (window.start, window.end) == (time(9), time(19))
    assert policy.contact.window_on(tuesday) is None


def test_policy_can_be_a_cache_key(policy: Policy) -> None:
    assert {policy: "ok"}[default_policy()] == "ok"
