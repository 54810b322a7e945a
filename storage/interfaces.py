"""The repository contracts other packages program against (`tx.<name>` in a transaction).

Implementations live in `storage.repositories`; tests and callers depend only on these.
Every method runs inside the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from storage.enums import InviteOutcome
from storage.repositories.debtors import NewDebt, NewDebtor, Upserted
from storage.repositories.outbox import ChannelBudget
from storage.rows import (
    AgentRow,
    AgentSessionRow,
    AgreementRow,
    AuditRow,
    ContactRow,
    ContactVerified,
    ConversationRow,
    DebtorRow,
    DebtRow,
    EscalationRow,
    InboundRow,
    InstallmentRow,
    JobRow,
    LockedChat,
    MessageRow,
    NewInbound,
    NewInstallment,
    NewJob,
    NewOutbox,
    NewReply,
    OutboxRow,
    PaymentRow,
)

if TYPE_CHECKING:  # importing dialogs.flow loads the whole dialog; only types are needed
    from dialogs.flow.snapshots import DebtorSnapshot


class Conversations(Protocol):
    async def get(self, conversation_id: int) -> ConversationRow | None: ...
    async def get_for_update(self, channel: str, address: str) -> ConversationRow | None: ...
    async def lock_recording(
        self, channel: str, address: str, message: NewInbound
    ) -> LockedChat | None: ...
    async def read_unlocked(
        self, channel: str, address: str, message: NewInbound
    ) -> LockedChat | None: ...
    async def create_unlocked(
        self,
        channel: str,
        address: str,
        message: NewInbound,
        *,
        state: str,
        context: Mapping[str, Any],
        locale: str | None,
        now: datetime,
        phones: Sequence[str] = (),
    ) -> LockedChat: ...
    async def touch(self, conversation_id: int) -> None: ...
    async def by_key(self, channel: str, address: str) -> ConversationRow | None: ...
    async def create(
        self,
        channel: str,
        address: str,
        *,
        state: str,
        context: Mapping[str, Any] | None = None,
        mode: str = ...,
        contact_id: int | None = None,
        debtor_id: int | None = None,
        now: datetime | None = None,
    ) -> ConversationRow: ...
    async def save(
        self,
        row: ConversationRow,
        *,
        now: datetime | None = None,
        loaded: ConversationRow | None = None,
        replies: Sequence[NewReply] = (),
        inbound: NewInbound | None = None,
        verified: ContactVerified | None = None,
    ) -> ConversationRow: ...
    async def list_by_mode(self, mode: str, *, limit: int = 500) -> list[ConversationRow]: ...
    async def for_debtor(self, debtor_id: int) -> list[ConversationRow]: ...


class Replies(Protocol):
    async def add(
        self,
        conversation_id: int,
        channel: str,
        address: str,
        replies: Sequence[NewReply],
        *,
        now: datetime,
    ) -> int: ...


class Messages(Protocol):
    async def add_inbound(
        self,
        conversation_id: int,
        channel: str,
        channel_message_id: str | None,
        text: str,
        *,
        payload: Mapping[str, Any] | None = None,
        author: str = ...,
        now: datetime | None = None,
    ) -> int | None: ...
    async def add_new_inbound(
        self, conversation_id: int, channel: str, message: NewInbound, payload: str | None = None
    ) -> int | None: ...
    async def add_outbound(
        self,
        conversation_id: int,
        channel: str,
        text: str,
        payload: Mapping[str, Any] | None = None,
        author: str = ...,
        *,
        now: datetime | None = None,
    ) -> int: ...
    async def set_delivery(
        self, channel: str, channel_message_id: str, status: str, error: str | None = None
    ) -> bool: ...
    async def get(self, message_id: int) -> MessageRow | None: ...
    async def by_channel_id(self, channel: str, channel_message_id: str) -> MessageRow | None: ...
    async def attach_channel_id(self, message_id: int, channel_message_id: str) -> None: ...
    async def mark_failed(self, message_id: int, error: str | None = None) -> None: ...
    async def transcript(
        self, conversation_id: int, *, after_id: int = 0, limit: int = 1000
    ) -> list[MessageRow]: ...


class InboundLog(Protocol):
    async def record(
        self, channel: str, external_id: str, payload: str, *, now: datetime | None = None
    ) -> int | None: ...
    async def pending(self, limit: int = 100) -> list[InboundRow]: ...
    async def mark_processed(
        self, inbound_id: int, *, error: str | None = None, now: datetime | None = None
    ) -> None: ...


class OutboxQueue(Protocol):
    async def enqueue(
        self, rows: Sequence[NewOutbox], *, now: datetime | None = None
    ) -> list[int]: ...
    async def claim(
        self,
        batch: int,
        lease_seconds: float,
        now: datetime,
        *,
        channel: str | None = None,
        per_chat: int = 1,
    ) -> list[OutboxRow]: ...
    async def release(self, claimed: Sequence[OutboxRow]) -> None: ...
    async def mark_sent(self, outbox_id: int, channel_message_id: str, now: datetime) -> None: ...
    async def mark_sent_many(
        self, sent: Sequence[tuple[OutboxRow, str | None]], now: datetime
    ) -> None: ...
    async def mark_retry(self, claimed: OutboxRow, error: str, available_at: datetime) -> bool: ...
    async def mark_failed(self, claimed: OutboxRow, error: str) -> bool: ...
    async def get(self, outbox_id: int) -> OutboxRow | None: ...
    async def pending_count(self) -> int: ...
    async def next_due_at(self, channels: Sequence[str] | None = None) -> datetime | None: ...
    async def budget(
        self, channel: str, rate_per_second: float, burst: float, now: datetime
    ) -> ChannelBudget: ...
    async def spend(self, budget: ChannelBudget, sent: int) -> None: ...


class Debtors(Protocol):
    async def get(self, debtor_id: int) -> DebtorRow | None: ...
    async def by_external_id(self, external_id: str) -> DebtorRow | None: ...
    async def by_cpf(self, cpf: str) -> DebtorRow | None: ...
    async def list_page(self, *, after_id: int = 0, limit: int = 100) -> list[DebtorRow]: ...
    async def by_phone(self, e164_variants: Sequence[str]) -> DebtorRow | None: ...
    async def upsert(self, new: NewDebtor, *, now: datetime | None = None) -> Upserted: ...
    async def upsert_debt(self, new: NewDebt, *, now: datetime | None = None) -> Upserted: ...
    async def debts(self, debtor_id: int, *, include_paid: bool = False) -> list[DebtRow]: ...
    async def set_debt_status(
        self, debt_ids: Sequence[int], status: str, *, now: datetime | None = None
    ) -> None: ...
    async def set_debt_paid(
        self, debt_id: int, paid_cents: int, status: str, *, now: datetime | None = None
    ) -> None: ...
    async def snapshot(self, debtor_id: int) -> DebtorSnapshot | None: ...
    async def snapshot_by_cpf(self, cpf: str) -> DebtorSnapshot | None: ...


class Contacts(Protocol):
    async def get(self, contact_id: int) -> ContactRow | None: ...
    async def by_address(self, channel: str, address: str) -> ContactRow | None: ...
    async def get_or_create(
        self,
        channel: str,
        address: str,
        *,
        locale: str | None = None,
        now: datetime | None = None,
    ) -> ContactRow: ...
    async def for_debtor(self, debtor_id: int) -> list[ContactRow]: ...
    async def link(self, contact_id: int, debtor_id: int) -> None: ...
    async def mark_verified(self, contact_id: int, debtor_id: int, now: datetime) -> None: ...
    async def record_failed_attempt(self, contact_id: int) -> int: ...
    async def lock(self, contact_id: int, until: datetime) -> None: ...
    async def mark_unreachable(
        self, channel: str, address: str, reason: str, now: datetime
    ) -> None: ...
    async def mark_reachable(self, contact_id: int) -> None: ...
    async def set_opted_out(self, contact_id: int, opted_out: bool, now: datetime) -> None: ...
    async def set_locale(self, contact_id: int, locale: str) -> None: ...


class Agreements(Protocol):
    async def create(
        self,
        debtor_id: int,
        conversation_id: int | None,
        debt_ids: Sequence[int],
        installments: Sequence[NewInstallment],
        *,
        payment_channel: str,
        total_cents: int,
        discount_cents: int = 0,
        now: datetime | None = None,
    ) -> AgreementRow: ...
    async def get(self, agreement_id: int) -> AgreementRow | None: ...
    async def for_debtor(self, debtor_id: int) -> list[AgreementRow]: ...
    async def installments(self, agreement_id: int) -> list[InstallmentRow]: ...
    async def installment_by_txid(self, txid: str) -> InstallmentRow | None: ...
    async def mark_installment_paid(
        self, installment_id: int, paid_cents: int, paid_at: datetime
    ) -> bool: ...
    async def set_installment_status(self, installment_id: int, status: str) -> None: ...
    async def record_payment(
        self,
        agreement_id: int,
        amount_cents: int,
        paid_at: datetime,
        source: str,
        external_id: str,
        *,
        installment_id: int | None = None,
        flagged: bool = False,
        note: str | None = None,
    ) -> int | None: ...
    async def payments(self, agreement_id: int) -> list[PaymentRow]: ...
    async def payment_by_external_id(self, external_id: str) -> PaymentRow | None: ...
    async def set_payment_channel(self, agreement_id: int, payment_channel: str) -> None: ...
    async def set_status(
        self, agreement_id: int, status: str, *, now: datetime | None = None
    ) -> None: ...


class Escalations(Protocol):
    async def open(
        self,
        conversation_id: int,
        reason: str,
        summary: str,
        priority: int = 0,
        *,
        now: datetime | None = None,
    ) -> int: ...
    async def claim(
        self, escalation_id: int, agent_id: int, *, now: datetime | None = None
    ) -> bool: ...
    async def reassign(self, escalation_id: int, agent_id: int) -> bool: ...
    async def close(self, escalation_id: int, *, now: datetime | None = None) -> bool: ...
    async def get(self, escalation_id: int) -> EscalationRow | None: ...
    async def list_open(self) -> list[EscalationRow]: ...
    async def active_for_conversation(self, conversation_id: int) -> EscalationRow | None: ...


class Jobs(Protocol):
    async def schedule(
        self,
        kind: str,
        run_at: datetime,
        key: str,
        ref: str = "",
        *,
        conversation_id: int | None = None,
        debtor_id: int | None = None,
        now: datetime | None = None,
    ) -> int | None: ...
    async def schedule_many(
        self,
        jobs: Sequence[NewJob],
        *,
        conversation_id: int | None = None,
        debtor_id: int | None = None,
        now: datetime | None = None,
    ) -> None: ...
    async def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> list[JobRow]: ...
    async def complete(self, job_id: int) -> None: ...
    async def drop(self, job_id: int, reason: str) -> None: ...
    async def reschedule(self, job_id: int, run_at: datetime, note: str | None = None) -> None: ...
    async def cancel_prefix(self, key_prefix: str) -> int: ...
    async def get(self, job_id: int) -> JobRow | None: ...
    async def by_key(self, key: str) -> JobRow | None: ...


class Invites(Protocol):
    async def create(
        self,
        debtor_id: int,
        token_hash: str,
        expires_at: datetime,
        *,
        now: datetime | None = None,
    ) -> int: ...
    async def redeem(self, token_hash: str, now: datetime) -> tuple[InviteOutcome, int | None]: ...


class Agents(Protocol):
    async def add(
        self,
        email: str,
        name: str,
        password_hash: str,
        role: str = ...,
        *,
        now: datetime | None = None,
    ) -> int: ...
    async def get(self, agent_id: int) -> AgentRow | None: ...
    async def by_email(self, email: str) -> AgentRow | None: ...
    async def list_all(self) -> list[AgentRow]: ...
    async def record_login_failure(self, agent_id: int, lock_until: datetime | None) -> int: ...
    async def reset_login_failures(self, agent_id: int) -> None: ...
    async def update(
        self,
        agent_id: int,
        *,
        name: str | None = None,
        role: str | None = None,
        password_hash: str | None = None,
        active: bool | None = None,
    ) -> None: ...


class Sessions(Protocol):
    async def create(
        self,
        session_id: str,
        agent_id: int,
        csrf_token: str,
        expires_at: datetime,
        *,
        now: datetime | None = None,
    ) -> None: ...
    async def get(self, session_id: str, now: datetime) -> AgentSessionRow | None: ...
    async def delete(self, session_id: str) -> None: ...
    async def delete_for_agent(self, agent_id: int) -> None: ...
    async def purge_expired(self, now: datetime) -> int: ...


class Audit(Protocol):
    async def record(
        self,
        actor: str,
        action: str,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> int: ...
    async def recent(self, *, target: str | None = None, limit: int = 100) -> list[AuditRow]: ...
