"""Register the cadence's job kinds with the scheduler: each runs through `rules.decide`."""

from __future__ import annotations

from collections.abc import Callable, Collection

from bot.cadence import jobs as k
from bot.cadence.queries import OutboxSentCounter
from bot.cadence.rules import decide
from bot.scheduler import JobEnv, JobHandler, JobOutcome, register_job_kind
from storage.rows import JobRow

Reachable = Callable[[], Collection[str]]


def cadence_handler(reachable: Reachable) -> JobHandler:
    async def handle(job: JobRow, env: JobEnv) -> JobOutcome:
        return await decide(
            job, env.tx, env.policy, env.now, OutboxSentCounter(env.tx), reachable()
        )

    return handle


def register_cadence_kinds(reachable: Reachable) -> None:
    """Install the handlers; `reachable` says which channels can send at run time."""
    handler = cadence_handler(reachable)
    for kind in sorted(k.CADENCE_KINDS):
        register_job_kind(kind, handler, replace=True)
