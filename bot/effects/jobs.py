"""Effects on the durable schedule: jobs and promises to pay."""

from __future__ import annotations

from bot.effects.base import EffectContext, handles
from dialogs.flow.actions import CancelJobs, RecordPromise, ScheduleJob
from dialogs.flow.events import Event


@handles(ScheduleJob)
async def schedule_job(action: ScheduleJob, fx: EffectContext) -> Event | None:
    # The dialog does not know the conversation id; a key may ask for it as `{conversation}`.
    key = action.key.replace("{conversation}", str(fx.conversation.id))
    await fx.tx.jobs.schedule(
        action.kind,
        action.run_at,
        key,
        action.ref,
        conversation_id=fx.conversation.id,
        debtor_id=fx.conversation.debtor_id,
        now=fx.now,
    )
    return None


@handles(CancelJobs)
async def cancel_jobs(action: CancelJobs, fx: EffectContext) -> Event | None:
    await fx.tx.jobs.cancel_prefix(action.key_prefix)
    return None


@handles(RecordPromise)
async def record_promise(action: RecordPromise, fx: EffectContext) -> Event | None:
    await fx.tx.audit.record(
        "debtor",
        "promise_to_pay",
        f"conversation:{fx.conversation.id}",
        {"due": action.due.isoformat(), "amount_cents": action.amount_cents},
        now=fx.now,
    )
    return None
