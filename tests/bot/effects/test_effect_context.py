"""What effect handlers share within one event: the agreement they read, kept until a change."""

from __future__ import annotations

from bot.effects.base import EffectContext
from dialogs.flow import initial_context
from dialogs.negotiation.policy import default_policy
from storage.database import Database
from tests.storage.helpers import NOW, make_agreement, new_conversation


async def test_an_agreement_is_read_once_until_a_handler_changes_the_debtors_data(
    db: Database,
) -> None:
    agreement_id = await make_agreement(db)
    chat = await new_conversation(db, "effects")
    async with db.transaction() as tx:
        fx = EffectContext(tx, chat, default_policy(), NOW, initial_context())
        first = await fx.agreement(agreement_id)
        await tx.agreements.set_payment_channel(agreement_id, "boleto")
        again = await fx.agreement(agreement_id)  # no handler said it changed anything
        fx.changed_debtor()
        after_change = await fx.agreement(agreement_id)
        missing = await fx.agreement(agreement_id + 1000)
    assert first is not None
    assert again is first
    assert after_change is not None
    assert (first.payment_channel, after_change.payment_channel) == ("pix", "boleto")
    assert missing is None
    assert fx.debtor_changed
