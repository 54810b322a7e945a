"""`quita policy check FILE`: validate a creditor policy and show the offers it would make.

An operator edits the TOML and sees, before any debtor does, exactly what a sample debt would
cost and which plans the bot would offer. Operator output is plain English; amounts and dates
are formatted the way debtors see them (pt_BR, via Babel).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from babel.dates import format_date
from babel.numbers import format_currency

from dialogs.money import from_cents, to_cents
from dialogs.negotiation.charges import Charges, compute_charges
from dialogs.negotiation.offers import cash_offer, standard_plans
from dialogs.negotiation.policy import Policy, PolicyError, load_policy

__all__ = ["policy_group"]

LOCALE = "pt_BR"
INVALID_POLICY_EXIT = 2


def money(cents: int) -> str:
    """R$ 1.234,56 with an ordinary space, so the line reads (and greps) plainly."""
    return format_currency(from_cents(cents), "BRL", locale=LOCALE).replace("\xa0", " ")


def day(value: date) -> str:
    return format_date(value, format="short", locale=LOCALE)


def percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _reais(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount such as 2400.00") from None
    if not amount.is_finite() or amount <= 0:
        raise click.BadParameter("must be a positive amount in reais")
    return int(to_cents(amount))


@click.group("policy")
def policy_group() -> None:
    """Creditor policy files."""


@policy_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--principal",
    default="2400.00",
    show_default=True,
    callback=_reais,
    help="Sample debt principal in reais.",
)
@click.option(
    "--days-late", default=81, show_default=True, type=click.IntRange(min=0), help="Days overdue."
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend today is this date (default: today in the policy's time zone).",
)
def check_command(file: Path, principal: int, days_late: int, today: datetime | None) -> None:
    """Validate FILE and print the offers it would make for a sample debt."""
    try:
        policy = load_policy(file.read_text(encoding="utf-8"))
    except PolicyError as exc:
        for problem in exc.problems:
            click.echo(f"{file}: {problem}", err=True)
        raise SystemExit(INVALID_POLICY_EXIT) from None
    current = today.date() if today else datetime.now(policy.contact.zone).date()
    click.echo(f"Policy OK: {file}")
    _print_summary(policy)
    charges = compute_charges(principal, current - timedelta(days=days_late), current, policy)
    _print_offers(charges, policy, current)


def _print_summary(policy: Policy) -> None:
    creditor, rules, offers, channels = (
        policy.creditor,
        policy.charges,
        policy.offers,
        policy.channels,
    )
    click.echo(f"Creditor: {creditor.name} — {creditor.document_kind} {creditor.document}")
    click.echo(f"  {creditor.address}; PIX key {creditor.pix_key} ({creditor.pix_city})")
    kind = "consumer debts" if rules.consumer else "business debts"
    click.echo(
        f"Charges: late fee {percent(rules.late_fee_percent)}, interest"
        f" {percent(rules.monthly_interest_percent)} a month pro rata die,"
        f" grace {rules.grace_days} days ({kind})"
    )
    click.echo(
        f"Offers: up to {offers.max_installments}x, minimum installment"
        f" {money(offers.min_installment_cents)}, down payment at least"
        f" {percent(offers.min_down_payment_percent)}, installment interest"
        f" {percent(offers.installment_monthly_interest_percent)} a month, first due within"
        f" {offers.first_due_max_days} days"
    )
    click.echo(
        f"Channels: chat {', '.join(channels.messaging)}; payment {', '.join(channels.payment)}"
    )


def _print_offers(charges: Charges, policy: Policy, today: date) -> None:
    due = today - timedelta(days=charges.days_late)
    click.echo("")
    click.echo(
        f"Sample debt on {day(today)}: {money(charges.principal_cents)} due {day(due)}"
        f" ({charges.days_late} days late)"
    )
    rules = policy.charges
    for label, cents in (
        ("Principal", charges.principal_cents),
        (f"Late fee ({percent(rules.late_fee_percent)})", charges.late_fee_cents),
        (f"Interest ({percent(rules.monthly_interest_percent)} a month)", charges.interest_cents),
        ("Total", charges.total_cents),
    ):
        click.echo(f"  {label:<28}{money(cents):>16}")
    cash = cash_offer([charges], policy, today)
    click.echo(
        f"Cash offer: pay {money(cash.pay_cents)} by {day(cash.due_date)}"
        f" ({percent(cash.discount_percent)} off = {money(cash.discount_cents)})"
    )
    plans = standard_plans(charges.total_cents, policy, today)
    if not plans:
        click.echo("Installment plans: none fit this debt (minimum installment too high)")
        return
    click.echo("Installment plans:")
    for plan in plans:
        regular = len(plan.regular_installments)
        amounts = f"{regular} × {money(plan.installment_cents)}"
        if plan.down_payment_cents:
            amounts = f"down payment {money(plan.down_payment_cents)}, then {amounts}"
        click.echo(
            f"  {plan.count}x: {amounts}"
            f" — total {money(plan.total_cents)}, first due {day(plan.first_due)},"
            f" last due {day(plan.last_due)}"
        )
