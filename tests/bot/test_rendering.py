"""A reply rendered for the channels: its text and its buttons, in the debtor's locale."""

from __future__ import annotations

from bot.channels.base import Button, OutboundMessage
from bot.rendering import render_reply
from dialogs.flow.actions import Choice, Message, Money, Reply


def test_buttons_keep_their_order_ids_and_locale() -> None:
    reply = Reply(
        Message("offer.plans", {"days": 10}),
        (
            Choice("plan:6", Message("choice.plan", {"count": 6, "amount": Money(41_880)})),
            Choice("plan:other", Message("choice.other_amount")),
            Choice("human", Message("choice.human")),
        ),
    )
    for _ in range(2):  # plain buttons come from a cache the second time
        portuguese = render_reply(reply, "pt_BR")
        english = render_reply(reply, "en")
        assert [b.id for b in portuguese.buttons] == ["plan:6", "plan:other", "human"]
        assert portuguese.buttons[0] == Button(id="plan:6", title="6x de R$ 418,80")
        assert portuguese.buttons[2] == Button(id="human", title="Falar com uma pessoa")
        assert english.buttons[2] == Button(id="human", title="Talk to a person")
        assert portuguese.buttons[1].title != english.buttons[1].title


def test_the_same_label_under_another_choice_id_keeps_its_id() -> None:
    first = render_reply(
        Reply(Message("channel.ask"), (Choice("a", Message("choice.human")),)), "en"
    )
    second = render_reply(
        Reply(Message("channel.ask"), (Choice("b", Message("choice.human")),)), "en"
    )
    assert first.buttons == (Button(id="a", title="Talk to a person"),)
    assert second.buttons == (Button(id="b", title="Talk to a person"),)
    assert second == OutboundMessage(text=first.text, buttons=second.buttons)
