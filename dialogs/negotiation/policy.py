"""The creditor's policy: every business rule the dialog may not invent on its own.

Parsed from TOML text (the runtime reads the file; this module never does) and validated
strictly, so a wrong policy stops the program with one line naming the key instead of
producing an illegal offer in front of a debtor. `policy.example.toml` documents every key;
`default_policy()` holds the same values.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from holidays.countries.brazil import Brazil
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dialogs.documents import format_cnpj, format_cpf, is_valid_cnpj, is_valid_cpf
from dialogs.money import CENT, to_cents

__all__ = [
    "CDC_MAX_LATE_FEE_PERCENT",
    "AgentPolicy",
    "CadencePolicy",
    "CashDiscountTier",
    "ChannelsPolicy",
    "ChargesPolicy",
    "ContactPolicy",
    "CreditorPolicy",
    "EscalationPolicy",
    "InstallmentStep",
    "MessagesPolicy",
    "OffersPolicy",
    "OutreachStep",
    "PaymentChannel",
    "Policy",
    "PolicyError",
    "RankingPolicy",
    "TimeWindow",
    "VerificationPolicy",
    "WeeklyWindows",
    "WhatsAppTemplate",
    "default_policy",
    "load_policy",
]

CDC_MAX_LATE_FEE_PERCENT = Decimal(2)
"""CDC art. 52 §1: multa de mora on consumer debts is at most 2%."""

PaymentChannel = Literal["pix", "boleto", "card"]
MessagingChannel = Literal["telegram", "whatsapp", "webchat"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The 27 federative units (UF), as the `holidays` package names them for state holidays.
BRAZILIAN_STATES = frozenset(uf for uf in Brazil.subdivisions if len(uf) == 2)
_MESSAGE_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")


class PolicyError(ValueError):
    """The policy is invalid; each line of the message names a key path and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# ----------------------------------------------------------------------------- value parsing


def _to_decimal(value: object) -> object:
    """TOML gives floats for `2.5`; go through their shortest text so 2.5 stays exactly 2.5."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")  # noqa: TRY004 - pydantic wants ValueError
    if isinstance(value, float | int):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    return value


def _reais_to_cents(value: object) -> object:
    """Amounts are written in reais ("50.00" or 50) and kept as integer cents."""
    amount = _to_decimal(value)
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount in reais such as 50.00")
    if amount.copy_abs() >= 10**15:
        raise ValueError(f"{value!r} is too large")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{value!r} has more than two decimal places")
    return int(to_cents(amount))


Percent = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0, le=100, allow_inf_nan=False)]
ReaisAsCents = Annotated[int, BeforeValidator(_reais_to_cents)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _check_message_id(value: str) -> str:
    if not _MESSAGE_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a message id such as reminder.before_due")
    return value


MessageId = Annotated[str, AfterValidator(_check_message_id)]


# ---------------------------------------------------------------------------------- sections


class CreditorPolicy(_Section):
    """Who is collecting: shown with every debt (CDC art. 42-A) and put in PIX codes."""

    name: str = Field(min_length=1, max_length=120)
    document: str
    address: str = Field(min_length=1)
    pix_key: str = Field(min_length=1, max_length=77)
    pix_city: str = Field(min_length=1, max_length=15)
    lists_debtors: bool = False

    @field_validator("document")
    @classmethod
    def _valid_document(cls, value: str) -> str:
        if is_valid_cnpj(value):
            return format_cnpj(value)
        if is_valid_cpf(value):
            return format_cpf(value)
        raise ValueError(f"{value!r} is not a valid CNPJ or CPF (check digits do not match)")

    @field_validator("pix_city")
    @classmethod
    def _plain_city(cls, value: str) -> str:
        if not value.isascii():
            raise ValueError(f"{value!r}: PIX codes take the city without accents, e.g. SAO PAULO")
        return value.upper()

    @property
    def document_kind(self) -> Literal["CNPJ", "CPF"]:
        """Which document `document` is, for "CNPJ 12.345.678/0001-95" in messages."""
        return "CPF" if is_valid_cpf(self.document) else "CNPJ"


class ChargesPolicy(_Section):
    """What a late debt costs: multa once, then simple interest pro rata die (30-day months)."""

    consumer: bool = True
    late_fee_percent: Percent = Decimal(2)
    monthly_interest_percent: Percent = Decimal(1)
    grace_days: int = Field(default=0, ge=0, le=365)

    @field_validator("late_fee_percent")
    @classmethod
    def _cdc_late_fee_cap(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("consumer", True) and value > CDC_MAX_LATE_FEE_PERCENT:
            raise ValueError(
                f"{value} is above the 2% CDC art. 52 §1 limit for consumer debts"
                " (set charges.consumer = false only for debts between businesses)"
            )
        return value


class CashDiscountTier(_Section):
    """From `min_days_late` days late on, paying in full earns `percent` off."""

    min_days_late: int = Field(ge=0)
    percent: Percent


class OffersPolicy(_Section):
    """What the bot may offer on its own; anything beyond goes to a person."""

    model_config = ConfigDict(populate_by_name=True)

    discount_applies_to: Literal["total", "charges"] = "total"
    cash_discount_tiers: tuple[CashDiscountTier, ...] = (
        CashDiscountTier(min_days_late=1, percent=Decimal(5)),
        CashDiscountTier(min_days_late=31, percent=Decimal(10)),
        CashDiscountTier(min_days_late=91, percent=Decimal(15)),
        CashDiscountTier(min_days_late=181, percent=Decimal(20)),
    )
    max_installments: int = Field(default=12, ge=1, le=120)
    min_installment_cents: ReaisAsCents = Field(default=5000, validation_alias="min_installment")
    min_down_payment_percent: Percent = Decimal(0)
    installment_monthly_interest_percent: Percent = Decimal(0)
    first_due_max_days: int = Field(default=10, ge=0, le=90)
    promise_max_days: int = Field(default=15, ge=1, le=90)
    plan_counts_shown: tuple[int, ...] = (2, 3, 6, 12)
    agreement_grace_days: int = Field(default=5, ge=0, le=60)

    @field_validator("cash_discount_tiers")
    @classmethod
    def _tiers_in_order(
        cls, tiers: tuple[CashDiscountTier, ...], info: ValidationInfo
    ) -> tuple[CashDiscountTier, ...]:
        days = [tier.min_days_late for tier in tiers]
        if days != sorted(set(days)):
            raise ValueError("list tiers by increasing min_days_late, each value once")
        if info.data.get("discount_applies_to") == "total":
            for tier in tiers:
                if tier.percent >= 100:
                    raise ValueError(
                        f"{tier.percent}% off the total would forgive the debt; use less than 100"
                    )
        return tiers

    @field_validator("min_installment_cents")
    @classmethod
    def _positive_minimum(cls, cents: int) -> int:
        if cents <= 0:
            raise ValueError("must be at least 0.01 (reais)")
        return cents

    @field_validator("min_down_payment_percent")
    @classmethod
    def _down_payment_below_total(cls, value: Decimal) -> Decimal:
        if value >= 100:
            raise ValueError(f"{value}% would be the whole debt; use less than 100")
        return value

    @field_validator("plan_counts_shown")
    @classmethod
    def _counts_within_max(cls, counts: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        if list(counts) != sorted(set(counts)):
            raise ValueError("list counts in increasing order, each once")
        maximum = info.data.get("max_installments")
        for count in counts:
            if count < 2:
                raise ValueError(f"{count} is not an installment plan (2 or more)")
            if maximum is not None and count > maximum:
                raise ValueError(f"{count} is above offers.max_installments ({maximum})")
        return counts

    def discount_tier(self, days_late: int) -> CashDiscountTier | None:
        """The tier that applies at `days_late` (the one with the largest threshold reached)."""
        reached = [tier for tier in self.cash_discount_tiers if tier.min_days_late <= days_late]
        return reached[-1] if reached else None


class AgentPolicy(_Section):
    """How far a person may go beyond the bot's offers (authority by role)."""

    max_extra_discount_percent: Percent = Decimal(5)
    max_installments: int = Field(default=18, ge=1, le=120)
    supervisor_max_extra_discount_percent: Percent = Decimal(15)
    supervisor_max_installments: int = Field(default=24, ge=1, le=120)


class VerificationPolicy(_Section):
    """How a person proves who they are before hearing about any debt."""

    method: Literal["cpf_prefix", "birth_date", "both"] = "cpf_prefix"
    max_attempts: int = Field(default=3, ge=1, le=10)
    lock_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)


class EscalationPolicy(_Section):
    """When the bot stops trying and hands the chat to a person."""

    max_not_understood: int = Field(default=3, ge=1, le=20)
    max_offer_revisits: int = Field(default=3, ge=1, le=20)
    claim_timeout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    support_hours: str = Field(default="de segunda a sexta, das 8h às 18h", min_length=1)


class ChannelsPolicy(_Section):
    """Where the bot talks and how debtors may pay."""

    messaging: tuple[MessagingChannel, ...] = ("telegram", "whatsapp", "webchat")
    payment: tuple[PaymentChannel, ...] = ("pix", "boleto", "card")
    card_link_template: str = "https://pay.example/{agreement}/{installment}"

    @field_validator("messaging", "payment")
    @classmethod
    def _non_empty_unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if not values:
            raise ValueError("enable at least one")
        if len(set(values)) != len(values):
            raise ValueError("each channel once")
        return values

    @field_validator("card_link_template")
    @classmethod
    def _card_link_placeholders(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(f"{value!r} must be an https:// address")
        try:
            names = {field for _, field, _, _ in string.Formatter().parse(value) if field}
        except ValueError as exc:
            raise ValueError(f"{value!r}: {exc}") from None
        if names != {"agreement", "installment"}:
            raise ValueError(f"{value!r} must use exactly {{agreement}} and {{installment}}")
        return value

    def card_link(self, agreement: int | str, installment: int) -> str:
        return self.card_link_template.format(agreement=agreement, installment=installment)


class TimeWindow(_Section):
    """Proactive messages only between `start` and `end` (local time, end exclusive)."""

    start: time
    end: time

    @model_validator(mode="after")
    def _end_after_start(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} is not after start {self.start:%H:%M}")
        return self

    def contains(self, moment: time) -> bool:
        return self.start <= moment.replace(tzinfo=None) < self.end


class WeeklyWindows(_Section):
    """Contact window per weekday; a day left out of `[contact.windows]` has none."""

    mon: TimeWindow | None = None
    tue: TimeWindow | None = None
    wed: TimeWindow | None = None
    thu: TimeWindow | None = None
    fri: TimeWindow | None = None
    sat: TimeWindow | None = None
    sun: TimeWindow | None = None


def _sao_paulo_windows() -> WeeklyWindows:
    """São Paulo Lei 15.426/2014: Mon–Fri 08–20, Sat 08–14, never on Sundays."""
    weekday = TimeWindow(start=time(8), end=time(20))
    return WeeklyWindows(
        mon=weekday,
        tue=weekday,
        wed=weekday,
        thu=weekday,
        fri=weekday,
        sat=TimeWindow(start=time(8), end=time(14)),
    )


class ContactPolicy(_Section):
    """When proactive contact is allowed (replies to a debtor who writes are not limited)."""

    timezone: str = "America/Sao_Paulo"
    state: str = "SP"
    windows: WeeklyWindows = Field(default_factory=_sao_paulo_windows)
    skip_holidays: bool = True
    max_per_day: int = Field(default=1, ge=0, le=10)
    max_per_week: int = Field(default=3, ge=0, le=50)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone such as America/Sao_Paulo"
            ) from None
        return value

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value.upper() not in BRAZILIAN_STATES:
            raise ValueError(f"{value!r} is not a Brazilian state (UF) such as SP")
        return value.upper()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def window_on(self, day: date) -> TimeWindow | None:
        """The contact window for that calendar day's weekday; None means no contact."""
        window: TimeWindow | None = getattr(self.windows, WEEKDAYS[day.weekday()])
        return window


class WhatsAppTemplate(_Section):
    """An approved WhatsApp template, for proactive messages outside the 24 h window."""

    key: str = Field(min_length=1)
    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = "pt_BR"
    params: tuple[str, ...] = ()


class InstallmentStep(_Section):
    """A reminder `offset_days` from an installment's due date (negative = before)."""

    offset_days: int = Field(ge=-30, le=60)
    message: MessageId
    template: str | None = None


class OutreachStep(_Section):
    """A proactive message `after_days` days after a debt is imported, if still open."""

    after_days: int = Field(ge=0, le=365)
    message: MessageId
    template: str | None = None


class CadencePolicy(_Section):
    """When the bot writes first: installment reminders, outreach, promise follow-ups."""

    installment_steps: tuple[InstallmentStep, ...] = (
        InstallmentStep(
            offset_days=-3, message="reminder.before_due", template="installment_reminder"
        ),
        InstallmentStep(
            offset_days=0, message="reminder.due_today", template="installment_reminder"
        ),
        InstallmentStep(offset_days=1, message="reminder.overdue", template="installment_overdue"),
        InstallmentStep(
            offset_days=3, message="reminder.overdue_again", template="installment_overdue"
        ),
    )
    outreach_steps: tuple[OutreachStep, ...] = (
        OutreachStep(after_days=0, message="outreach.first", template="outreach"),
        OutreachStep(after_days=3, message="outreach.second", template="outreach"),
        OutreachStep(after_days=7, message="outreach.third", template="outreach"),
    )
    promise_followup_days: int = Field(default=1, ge=0, le=30)

    @field_validator("installment_steps")
    @classmethod
    def _offsets_in_order(cls, steps: tuple[InstallmentStep, ...]) -> tuple[InstallmentStep, ...]:
        offsets = [step.offset_days for step in steps]
        if offsets != sorted(set(offsets)):
            raise ValueError("list steps by increasing offset_days, each value once")
        return steps

    @field_validator("outreach_steps")
    @classmethod
    def _days_in_order(cls, steps: tuple[OutreachStep, ...]) -> tuple[OutreachStep, ...]:
        days = [step.after_days for step in steps]
        if days != sorted(set(days)):
            raise ValueError("list steps by increasing after_days, each value once")
        return steps


class MessagesPolicy(_Section):
    """Optional A/B variants: a message id -> alternative message ids to rotate through."""

    ab_variants: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # Optional weights per experiment: base message id -> one weight for the base id, then one
    # per variant, in order. Left out, every variant gets the same share.
    ab_weights: dict[str, tuple[int, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _weights_match_variants(self) -> MessagesPolicy:
        for base, weights in self.ab_weights.items():
            alternatives = self.ab_variants.get(base)
            if alternatives is None:
                raise ValueError(f"ab_weights.{base}: not a key of ab_variants")
            if len(weights) != len(alternatives) + 1:
                raise ValueError(
                    f"ab_weights.{base}: give {len(alternatives) + 1} weights"
                    " (the base message first, then each variant)"
                )
            if any(weight < 0 for weight in weights) or sum(weights) <= 0:
                raise ValueError(f"ab_weights.{base}: weights are >= 0 and not all 0")
        return self

    @field_validator("ab_variants")
    @classmethod
    def _ids(cls, variants: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for base, alternatives in variants.items():
            _check_message_id(base)
            if not alternatives:
                raise ValueError(f"{base}: list at least one variant")
            for alternative in alternatives:
                _check_message_id(alternative)
        return variants

    def __hash__(self) -> int:  # a dict field is not hashable; the policy as a whole should be
        return hash(
            (
                tuple((base, alts) for base, alts in sorted(self.ab_variants.items())),
                tuple((base, w) for base, w in sorted(self.ab_weights.items())),
            )
        )


Weight = Annotated[
    Decimal, BeforeValidator(_to_decimal), Field(ge=-100, le=100, allow_inf_nan=False)
]


class RankingPolicy(_Section):
    """Whom the console lists first: each signal counts up to its weight, in full at its cap.

    score = sum(weight × min(signal / cap, 1)); a negative weight pushes debtors down.
    """

    model_config = ConfigDict(populate_by_name=True)

    amount_weight: Weight = Decimal(40)
    days_late_weight: Weight = Decimal(30)
    engagement_weight: Weight = Decimal(20)
    broken_promises_weight: Weight = Decimal(10)
    amount_cap_cents: ReaisAsCents = Field(default=500000, validation_alias="amount_cap")
    days_late_cap: int = Field(default=180, ge=1, le=3650)
    engagement_cap: int = Field(default=10, ge=1, le=1000)
    engagement_days: int = Field(default=30, ge=1, le=365)
    broken_promises_cap: int = Field(default=3, ge=1, le=100)

    @field_validator("amount_cap_cents")
    @classmethod
    def _positive_cap(cls, cents: int) -> int:
        if cents <= 0:
            raise ValueError("must be at least 0.01 (reais)")
        return cents


def _default_templates() -> tuple[WhatsAppTemplate, ...]:
    return (
        WhatsAppTemplate(key="outreach", name="quita_contato_inicial", params=("name", "creditor")),
        WhatsAppTemplate(
            key="installment_reminder",
            name="quita_lembrete_parcela",
            params=("name", "amount", "due_date"),
        ),
        WhatsAppTemplate(
            key="installment_overdue",
            name="quita_parcela_em_aberto",
            params=("name", "amount", "due_date"),
        ),
        WhatsAppTemplate(key="promise_followup", name="quita_lembrete_promessa", params=("name",)),
        # Sent when a free-form message cannot reach the debtor (24 h window closed).
        WhatsAppTemplate(key="reengagement", name="quita_retomar_conversa", params=("creditor",)),
    )


class Policy(_Section):
    """The whole policy. Only `[creditor]` is required; every other key has a safe default."""

    creditor: CreditorPolicy
    charges: ChargesPolicy = Field(default_factory=ChargesPolicy)
    offers: OffersPolicy = Field(default_factory=OffersPolicy)
    agent: AgentPolicy = Field(default_factory=AgentPolicy)
    verification: VerificationPolicy = Field(default_factory=VerificationPolicy)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    channels: ChannelsPolicy = Field(default_factory=ChannelsPolicy)
    contact: ContactPolicy = Field(default_factory=ContactPolicy)
    cadence: CadencePolicy = Field(default_factory=CadencePolicy)
    templates: tuple[WhatsAppTemplate, ...] = Field(default_factory=_default_templates)
    messages: MessagesPolicy = Field(default_factory=MessagesPolicy)
    ranking: RankingPolicy = Field(default_factory=RankingPolicy)

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        problems: list[str] = []
        keys = [template.key for template in self.templates]
        if len(set(keys)) != len(keys):
            problems.append("templates: each key once")
        known = set(keys)
        steps: list[tuple[str, InstallmentStep | OutreachStep]] = [
            *(("cadence.installment_steps", s) for s in self.cadence.installment_steps),
            *(("cadence.outreach_steps", s) for s in self.cadence.outreach_steps),
        ]
        counters: dict[str, int] = {}
        for path, step in steps:
            index = counters.get(path, 0)
            counters[path] = index + 1
            if step.template is not None and step.template not in known:
                problems.append(
                    f"{path}[{index}].template: {step.template!r} is not a key in [[templates]]"
                )
        if self.agent.max_installments < self.offers.max_installments:
            problems.append(
                f"agent.max_installments: {self.agent.max_installments} is below"
                f" offers.max_installments ({self.offers.max_installments}); agents may"
                " only widen what the bot offers"
            )
        if self.agent.supervisor_max_installments < self.agent.max_installments:
            problems.append("agent.supervisor_max_installments: below agent.max_installments")
        if self.agent.supervisor_max_extra_discount_percent < self.agent.max_extra_discount_percent:
            problems.append(
                "agent.supervisor_max_extra_discount_percent:"
                " below agent.max_extra_discount_percent"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def template(self, key: str) -> WhatsAppTemplate | None:
        return next((t for t in self.templates if t.key == key), None)


# ------------------------------------------------------------------------------------ loading


def _path(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: Mapping[str, Any]) -> list[str]:
    """One readable line per pydantic error: `key.path: what is wrong`."""
    kind = error["type"]
    if kind == "value_error":
        message = str(error["ctx"]["error"])
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "extra_forbidden":
        message = "unknown key (check the spelling against policy.example.toml)"
    else:
        message = f"{error['msg']} (got {error['input']!r})"
    path = _path(tuple(error["loc"]))
    lines = message.splitlines() or [message]
    return [f"{path}: {line}" if path else line for line in lines]


def load_policy(text: str) -> Policy:
    """Parse and validate policy TOML text; raise `PolicyError` naming every bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([f"not valid TOML: {exc}"]) from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = [line for error in exc.errors() for line in _describe(error)]
        raise PolicyError(problems) from None


_DEFAULT_POLICY_TOML = """
[creditor]
name = "Loja Exemplo Ltda"
document = "12.345.678/0001-95"
address = "Rua Exemplo, 100, Centro, São Paulo - SP, 01001-000"
pix_key = "12345678000195"
pix_city = "SAO PAULO"
lists_debtors = false
"""


@cache
def default_policy() -> Policy:
    """The policy of `policy.example.toml` (built from embedded text: dialogs read no files)."""
    return load_policy(_DEFAULT_POLICY_TOML)
