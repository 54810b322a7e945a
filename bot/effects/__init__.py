"""Carry out the dialog's actions inside the service's transaction.

Each action type has one handler, registered with `@handles(ActionType)` in the module of its
concern (conversation, agreements, escalations, jobs, …). Handlers that need an answer (a
lookup) return the event that answers it; the service feeds it straight back into `step`.
Outbound messages are collected and written with their outbox rows at `flush`, in the order
the dialog produced them, so a chat's replies always leave in order.
"""

from bot.effects.base import EffectContext, Effects, handles

# Importing the modules registers their handlers.
from bot.effects import agreements, conversation, escalations, jobs  # noqa: F401  # isort: skip
from bot.effects import whatsapp_window  # noqa: F401  # isort: skip
from bot.effects import payments  # noqa: F401  # isort: skip
from bot.effects import reminders  # noqa: F401  # isort: skip

__all__ = ["EffectContext", "Effects", "handles"]
