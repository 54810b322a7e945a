"""The Core `Table` objects behind the SQLModel classes, for fast statement building.

Repositories use SQLAlchemy Core on these (no ORM identity map on the hot path).
"""

from __future__ import annotations

from sqlalchemy import Table

from storage.models import metadata


def _table(name: str) -> Table:
    return metadata.tables[name]


debtor = _table("debtor")
debt = _table("debt")
contact = _table("contact")
conversation = _table("conversation")
message = _table("message")
inbound = _table("inbound")
outbox = _table("outbox")
send_budget = _table("send_budget")
agreement = _table("agreement")
agreement_debt = _table("agreement_debt")
installment = _table("installment")
payment = _table("payment")
escalation = _table("escalation")
agent = _table("agent")
scheduled_job = _table("scheduled_job")
invite_token = _table("invite_token")
audit_log = _table("audit_log")
agent_session = _table("agent_session")
