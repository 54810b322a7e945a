"""Payment confirmations from outside — the webhook, a bank file, an agent — into the one path.

A notice is validated here (same rules for JSON and CSV), matched to its installment and the
agreement's conversation, and handed to `ConversationService.handle` as a
`PaymentConfirmed` with the idempotency key `payment:<external id>`: the payment row, the
installment, the agreement, the debts and the debtor's thank-you commit in one transaction,
and the same payment delivered twice counts once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.payments.pix import parse_txid
from bot.service import ConversationService
from dialogs.flow.events import PaymentConfirmed
from dialogs.money import to_cents
from dialogs.parsing import parse_brl_amount, parse_date_br
from storage import UnitOfWork
from storage.enums import PaymentSource

MAX_EXTERNAL_ID = 128  # payment.external_id column width
MAX_NOTE = 500
MAX_AMOUNT_CENTS = 10**11  # a billion reais: anything above is a typo
FUTURE_TOLERANCE = timedelta(days=1)  # clocks and time zones differ a little, not more
_DOT_DECIMAL = re.compile(r"\d{1,12}(?:\.\d{1,2})?")
_PRINTABLE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


class NoticeError(ValueError):
    """A field of a payment notice is missing or wrong; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownInstallmentError(LookupError):
    """The notice names no installment Quita knows (or one without a conversation)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    """A validated notice: which installment (txid, or agreement + number), how much, when."""

    external_id: str
    amount_cents: int
    paid_at: datetime
    txid: str | None = None
    agreement_id: int | None = None
    installment: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class PaymentTarget:
    agreement_id: int
    installment: int
    conversation: ConversationKey


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """What became of a confirmation, for the API answer, the import report and the console."""

    status: str  # recorded | duplicate
    agreement_id: int
    installment: int
    payment_id: int | None
    flagged: bool  # the amount differed from what was due: recorded, an agent reviews it
    installment_status: str
    agreement_status: str
    conversation_id: int

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "agreement_id": self.agreement_id,
            "installment": self.installment,
            "payment_id": self.payment_id,
            "flagged": self.flagged,
            "installment_status": self.installment_status,
            "agreement_status": self.agreement_status,
        }


# ------------------------------------------------------------------------------ validation


def parse_notice(
    data: Mapping[str, object],
    *,
    now: datetime,
    brazilian_amounts: bool = False,
    date_zone: ZoneInfo | None = None,
) -> PaymentNotice:
    """Validate a notice (JSON object or CSV row); raise `NoticeError` on the first bad field.

    The webhook sends `amount` as a decimal string ("418.80"); a bank file may write
    "R$ 418,80" (`brazilian_amounts`) and a bare date as `paid_at` (midnight in `date_zone`).
    """
    external_id = _external_id(data.get("external_id"))
    amount_cents = _amount(data.get("amount"), brazilian=brazilian_amounts)
    paid_at = _paid_at(data.get("paid_at"), now=now, date_zone=date_zone)
    txid = _blank_to_none(data.get("txid"))
    if txid is not None:
        if not isinstance(txid, str) or parse_txid(txid) is None:
            raise NoticeError("txid", "not a Quita installment txid (like Q00000012N001)")
        agreement_id = installment = None
    else:
        agreement_id = _positive_int(data.get("agreement_id"), "agreement_id")
        installment = _positive_int(data.get("installment"), "installment")
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise NoticeError("note", f"must be text of at most {MAX_NOTE} characters")
    return PaymentNotice(
        external_id=external_id,
        amount_cents=amount_cents,
        paid_at=paid_at,
        txid=txid,
        agreement_id=agreement_id,
        installment=installment,
        note=note.strip(),
    )


def _blank_to_none(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _external_id(value: object) -> str:
    value = _blank_to_none(value)
    if value is None:
        raise NoticeError("external_id", "required (the bank's or payer's id of this payment)")
    if (
        not isinstance(value, str)
        or len(value) > MAX_EXTERNAL_ID
        or not _PRINTABLE.fullmatch(value)
    ):
        raise NoticeError(
            "external_id", f"must be printable ASCII text of at most {MAX_EXTERNAL_ID} characters"
        )
    return value


def _amount(value: object, *, brazilian: bool) -> int:
    value = _blank_to_none(value)
    if value is None:
        raise NoticeError("amount", "required")
    amount = _decimal(value, brazilian=brazilian)
    if amount is None or amount != amount.quantize(Decimal("0.01")):
        example = '"418,80" or "418.80"' if brazilian else '"418.80"'
        raise NoticeError("amount", f"not an amount in reais such as {example}")
    cents = int(to_cents(amount))
    if not 0 < cents <= MAX_AMOUNT_CENTS:
        raise NoticeError("amount", "must be more than zero")
    return cents


def _decimal(value: object, *, brazilian: bool) -> Decimal | None:
    """A JSON number (read as Decimal), a dot-decimal string, or a Brazilian amount."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value) if Decimal(value).is_finite() else None
    if not isinstance(value, str):
        return None
    if brazilian:
        try:
            return parse_brl_amount(value)
        except (ValueError, InvalidOperation):
            return None
    return Decimal(value) if _DOT_DECIMAL.fullmatch(value) else None


def _paid_at(value: object, *, now: datetime, date_zone: ZoneInfo | None) -> datetime:
    value = _blank_to_none(value)
    if not isinstance(value, str):
        raise NoticeError(
            "paid_at", "required, as ISO 8601 with offset (2026-12-05T14:30:00-03:00)"
        )
    moment = _parse_moment(value, date_zone)
    if moment is None:
        expected = "ISO 8601 with offset (2026-12-05T14:30:00-03:00)"
        if date_zone is not None:
            expected += " or a date (05/12/2026)"
        raise NoticeError("paid_at", f"not a time: use {expected}")
    if moment > now + FUTURE_TOLERANCE:
        raise NoticeError("paid_at", "is in the future")
    return moment


def _parse_moment(text: str, date_zone: ZoneInfo | None) -> datetime | None:
    if date_zone is not None and "T" not in text and ":" not in text:
        try:
            day: date = parse_date_br(text)
        except ValueError:
            return None
        return datetime.combine(day, time(0, 0), tzinfo=date_zone)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _positive_int(value: object, field: str) -> int:
    value = _blank_to_none(value)
    if value is None:
        raise NoticeError(field, "required when there is no txid")
    if isinstance(value, bool):
        raise NoticeError(field, "must be a whole number")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or value <= 0:
        raise NoticeError(field, "must be a whole number above zero")
    return value


# ------------------------------------------------------------------------------ matching


async def resolve(tx: UnitOfWork, notice: PaymentNotice) -> PaymentTarget:
    """The installment and conversation a notice is about; `UnknownInstallmentError` if none."""
    if notice.txid is not None:
        installment = await tx.agreements.installment_by_txid(notice.txid)
        if installment is None:
            raise UnknownInstallmentError("txid", "no installment has this txid")
        return await _target(tx, installment.agreement_id, installment.number, "txid")
    assert notice.agreement_id is not None
    assert notice.installment is not None
    return await _target(tx, notice.agreement_id, notice.installment, "installment")


async def _target(tx: UnitOfWork, agreement_id: int, number: int, field: str) -> PaymentTarget:
    agreement = await tx.agreements.get(agreement_id)
    if agreement is None:
        raise UnknownInstallmentError("agreement_id", "no agreement has this id")
    if not any(i.number == number for i in agreement.installments):
        raise UnknownInstallmentError(field, f"agreement {agreement_id} has no such installment")
    conversation = (
        await tx.conversations.get(agreement.conversation_id)
        if agreement.conversation_id is not None
        else None
    )
    if conversation is None:
        raise UnknownInstallmentError(field, f"agreement {agreement_id} has no conversation")
    key = ConversationKey(ChannelName(conversation.channel), conversation.address)
    return PaymentTarget(agreement_id, number, key)


# ------------------------------------------------------------------------------ confirming


class HasService(Protocol):
    """A built `Quita` (or anything else carrying the service)."""

    @property
    def service(self) -> ConversationService: ...


async def confirm_notice(
    service: ConversationService, notice: PaymentNotice, source: str
) -> PaymentResult:
    """Match the notice and confirm it through the service (see `confirm_payment`)."""
    async with service.db.transaction(write=False) as tx:
        target = await resolve(tx, notice)
    return await _confirm(service, target, notice, source)


async def confirm_payment(
    quita_or_service: ConversationService | HasService,
    agreement_id: int,
    installment: int,
    amount_cents: int,
    paid_at: datetime,
    source: str = "agent",
    external_id: str | None = None,
    note: str = "",
) -> PaymentResult:
    """Confirm one installment's payment (the console's "mark as paid"): idempotent.

    Without `external_id` the key is `<source>:<agreement>:<installment>`, so marking the
    same installment twice records one payment. An amount other than what is due is
    recorded flagged and escalated (`payment_mismatch`), never taken as paid. Raises
    `UnknownInstallmentError` for an unknown agreement/installment and `NoticeError` for a
    bad amount, time or source.
    """
    service = (
        quita_or_service
        if isinstance(quita_or_service, ConversationService)
        else quita_or_service.service
    )
    if source not in set(PaymentSource):
        raise NoticeError("source", f"one of {', '.join(PaymentSource)}")
    if isinstance(amount_cents, bool) or not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise NoticeError("amount", "must be a whole number of cents above zero")
    if paid_at.tzinfo is None:
        raise NoticeError("paid_at", "must be timezone-aware")
    if len(note) > MAX_NOTE:
        raise NoticeError("note", f"must be at most {MAX_NOTE} characters")
    notice = PaymentNotice(
        external_id=_external_id(external_id or f"{source}:{agreement_id}:{installment}"),
        amount_cents=amount_cents,
        paid_at=paid_at,
        agreement_id=agreement_id,
        installment=installment,
        note=note.strip(),
    )
    return await confirm_notice(service, notice, source)


async def _confirm(
    service: ConversationService, target: PaymentTarget, notice: PaymentNotice, source: str
) -> PaymentResult:
    event = PaymentConfirmed(
        agreement_id=target.agreement_id,
        installment_number=target.installment,
        amount_cents=notice.amount_cents,
        paid_at=notice.paid_at,
        external_id=notice.external_id,
        source=str(PaymentSource(source)),
        note=notice.note,
    )
    handled = await service.handle(
        Inbound(
            key=target.conversation,
            event=event,
            received_at=notice.paid_at,
            idempotency_key=f"payment:{notice.external_id}",
        )
    )
    async with service.db.transaction(write=False) as tx:
        payment = await tx.agreements.payment_by_external_id(notice.external_id)
        agreement = await tx.agreements.get(target.agreement_id)
    installment = (
        next((i for i in agreement.installments if i.number == target.installment), None)
        if agreement is not None
        else None
    )
    return PaymentResult(
        status="duplicate" if handled.duplicate else "recorded",
        agreement_id=target.agreement_id,
        installment=target.installment,
        payment_id=payment.id if payment is not None else None,
        flagged=payment.flagged if payment is not None else False,
        installment_status=installment.status if installment is not None else "",
        agreement_status=agreement.status if agreement is not None else "",
        conversation_id=handled.conversation_id,
    )
