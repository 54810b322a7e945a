"""What the conversation remembers between events, stored as JSON in `conversation.context`.

A frozen dataclass so that every step returns a new value (`dialogs.frozen.evolve`) and a
test can compare contexts; pydantic only does the JSON round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from dialogs.flow.actions import PlannedInstallment
from dialogs.flow.snapshots import AgreementSnapshot, DebtorSnapshot
from dialogs.frozen import evolve

MAX_REMEMBERED_WORDS = 300  # enough for an agent summary, not a transcript
_NOT_STORED = {"debtor"}  # the service reads it from storage before every step


@dataclass(frozen=True, slots=True)
class ChosenPlan:
    """A plan the debtor picked (or was proposed): a cash payment is a plan of one."""

    count: int
    installment_cents: int
    total_cents: int
    first_due: date
    installments: tuple[PlannedInstallment, ...]
    down_payment_cents: int = 0
    discount_cents: int = 0
    cash: bool = False


@dataclass(frozen=True, slots=True)
class Context:
    locale: str = "pt_BR"
    debtor: DebtorSnapshot | None = None
    verified_debtor_id: int | None = None
    questions: tuple[str, ...] = ()  # verification questions still to ask
    failed_attempts: int = 0
    locked_until: datetime | None = None
    not_understood_count: int = 0
    offer_revisits: int = 0
    abuse_count: int = 0
    plan: ChosenPlan | None = None
    proposed_plan: ChosenPlan | None = None
    proposed_amount_cents: int | None = None
    payment_channel: str | None = None
    agreement_id: int | None = None
    promised_date: date | None = None
    opted_out: bool = False
    last_question: str = ""  # a sub-question inside a state, re-asked after help/unknown
    dispute_kind: str | None = None
    agent_notice_sent: bool = False
    last_words: str = ""

    @property
    def verified(self) -> bool:
        """Verified only for the debtor we are talking about (a new link resets it)."""
        return (
            self.debtor is not None
            and self.verified_debtor_id is not None
            and self.verified_debtor_id == self.debtor.debtor_id
        )

    @property
    def active_agreement(self) -> AgreementSnapshot | None:
        if self.debtor is None:
            return None
        for agreement in self.debtor.agreements:
            if agreement.status == "active" and (
                self.agreement_id is None or agreement.agreement_id == self.agreement_id
            ):
                return agreement
        return None

    def with_debtor(self, debtor: DebtorSnapshot | None) -> Context:
        """The service refreshes the debtor from storage before every step."""
        active = (
            [a.agreement_id for a in debtor.agreements if a.status == "active"] if debtor else []
        )
        agreement_id = self.agreement_id if self.agreement_id in active else None
        if agreement_id is None and active:
            agreement_id = active[0]
        if debtor is None:
            agreement_id = self.agreement_id
        return evolve(self, debtor=debtor, agreement_id=agreement_id)

    def with_locale(self, locale: str) -> Context:
        return evolve(self, locale=locale)

    def remember_words(self, text: str) -> Context:
        return evolve(self, last_words=text.strip()[:MAX_REMEMBERED_WORDS])

    def to_json(self) -> str:
        """Everything but `debtor`: the service reads the linked debtor's snapshot from
        storage before every step, so a stored copy would only be parsed and thrown away (and
        would copy the debtor's personal data and debts into every chat row)."""
        raw = _adapter().dump_json(self, exclude=_NOT_STORED).decode()
        _WRITTEN.remember(raw, self if self.debtor is None else evolve(self, debtor=None))
        return raw

    @classmethod
    def from_json(cls, raw: str) -> Context:
        """The context stored as `raw`. Every event parsed its chat's context (~25 µs in a busy
        service), and the text read back is usually the one this process wrote last."""
        found = _WRITTEN.get(raw)
        return cls.parse_json(raw) if found is None else found

    @classmethod
    def parse_json(cls, raw: str) -> Context:
        """`from_json`, always parsing."""
        return _adapter().validate_json(raw)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, for storage layers that keep JSON columns."""
        data: dict[str, Any] = _adapter().dump_python(self, mode="json")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Context:
        return _adapter().validate_python(dict(data))


class _Written:
    """The contexts most recently written as JSON, by their text (immutable, so shared)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._by_text: dict[str, Context] = {}

    def get(self, raw: str) -> Context | None:
        return self._by_text.get(raw)

    def remember(self, raw: str, context: Context) -> None:
        by_text = self._by_text
        by_text[raw] = context
        if len(by_text) > self._size:
            del by_text[next(iter(by_text))]  # the oldest


_WRITTEN = _Written(4096)  # about one per active chat


@cache
def _adapter() -> TypeAdapter[Context]:
    return TypeAdapter(Context)


def initial_context(locale: str = "pt_BR") -> Context:
    return Context(locale=locale)
