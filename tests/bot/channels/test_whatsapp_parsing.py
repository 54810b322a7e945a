"""Meta's webhook shapes become the events and statuses the conversation service expects."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.channels.whatsapp.parsing import MalformedPayloadError, StatusUpdate, parse_webhook
from dialogs.flow.events import ButtonPressed, MediaReceived, OptOutSignal, TextReceived
from tests.fakes.graph_api import OUR_WAMID, SAMPLES, SENDER, SENDER_NAME, notification

MARIA = ConversationKey(ChannelName.WHATSAPP, SENDER)


def only_inbound(payload: dict[str, Any]) -> Inbound:
    (item,) = parse_webhook(payload)
    assert isinstance(item, Inbound)
    return item


def test_text_message_becomes_text_from_the_wa_id_with_its_wamid_and_time() -> None:
    inbound = only_inbound(SAMPLES["text_message"])

    assert inbound.key == MARIA
    assert inbound.event == TextReceived("oi, recebi uma mensagem de voces")
    assert (
        inbound.message_id == "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEE2NTk5QUVFMDM4MTAxNDRGAA=="
    )
    assert inbound.received_at == datetime(2025, 11, 25, 12, 0, tzinfo=UTC)
    assert inbound.received_at.tzinfo is not None
    assert inbound.display_name == SENDER_NAME
    assert inbound.locale == "pt_BR"


@pytest.mark.parametrize(
    ("sample", "choice"),
    [
        ("button_reply", "plan:6"),
        ("list_reply", "channel:pix"),
        ("template_quick_reply", "start_negotiation"),
    ],
)
def test_taps_become_the_choice_id_we_offered(sample: str, choice: str) -> None:
    inbound = only_inbound(SAMPLES[sample])

    assert inbound.event == ButtonPressed(choice)
    assert inbound.key == MARIA
    assert inbound.message_id is not None
    assert inbound.message_id.startswith("wamid.")


def test_sticker_becomes_media_so_the_bot_can_say_it_reads_text_only() -> None:
    assert only_inbound(SAMPLES["unsupported_sticker"]).event == MediaReceived("sticker")


@pytest.mark.parametrize(
    "kind",
    ["audio", "image", "video", "document", "location", "contacts", "reaction", "unsupported"],
)
def test_other_message_types_become_media_of_that_kind(kind: str) -> None:
    body = notification(
        {
            "contacts": [{"profile": {"name": SENDER_NAME}, "wa_id": SENDER}],
            "messages": [
                {"from": SENDER, "id": "wamid.X", "timestamp": "1764072000", "type": kind}
            ],
        }
    )

    assert only_inbound(body).event == MediaReceived(kind)


def test_a_message_type_meta_invents_later_still_reaches_the_dialog() -> None:
    body = notification(
        {"messages": [{"from": SENDER, "id": "wamid.N", "timestamp": "1", "type": "hologram"}]}
    )

    assert only_inbound(body).event == MediaReceived("hologram")


def test_system_notices_are_not_something_the_debtor_said() -> None:
    body = notification(
        {"messages": [{"from": SENDER, "id": "wamid.S", "timestamp": "1", "type": "system"}]}
    )

    assert parse_webhook(body) == []


@pytest.mark.parametrize(
    ("sample", "status", "second", "codes"),
    [
        ("status_sent", "sent", 1764072001, ()),
        ("status_read_pmp", "read", 1764072030, ()),
        ("status_failed", "failed", 1764072002, (131047,)),
    ],
)
def test_statuses_become_delivery_updates_for_our_message(
    sample: str, status: str, second: int, codes: tuple[int, ...]
) -> None:
    (update,) = parse_webhook(SAMPLES[sample])

    assert update == StatusUpdate(
        message_id=OUR_WAMID,
        status=status,
        at=datetime.fromtimestamp(second, UTC),
        recipient=SENDER,
        error_codes=codes,
    )


@pytest.mark.parametrize(
    ("sample", "opted_out"), [("marketing_stop", True), ("marketing_resume", False)]
)
def test_marketing_preference_becomes_an_opt_out_signal(sample: str, opted_out: bool) -> None:
    inbound = only_inbound(SAMPLES[sample])

    assert inbound.event == OptOutSignal(opted_out)
    assert inbound.key == MARIA
    assert inbound.message_id is None
    assert inbound.idempotency_key is not None


def test_the_same_preference_change_redelivered_has_the_same_idempotency_key() -> None:
    first = only_inbound(SAMPLES["marketing_stop"])
    again = only_inbound(copy.deepcopy(SAMPLES["marketing_stop"]))
    resumed = only_inbound(SAMPLES["marketing_resume"])

    assert first.idempotency_key == again.idempotency_key
    assert first.idempotency_key != resumed.idempotency_key


def test_several_entries_and_changes_are_all_read_in_order() -> None:
    body = copy.deepcopy(SAMPLES["text_message"])
    body["entry"][0]["changes"].append(SAMPLES["button_reply"]["entry"][0]["changes"][0])
    body["entry"].append(SAMPLES["status_sent"]["entry"][0])
    body["entry"].append(SAMPLES["marketing_stop"]["entry"][0])

    events = [
        item.event if isinstance(item, Inbound) else item.status for item in parse_webhook(body)
    ]

    assert events == [
        TextReceived("oi, recebi uma mensagem de voces"),
        ButtonPressed("plan:6"),
        "sent",
        OptOutSignal(True),
    ]


def test_unknown_fields_anywhere_are_ignored() -> None:
    body = copy.deepcopy(SAMPLES["text_message"])
    body["brand_new_top_level"] = {"x": 1}
    body["entry"][0]["novelty"] = [1, 2]
    value = body["entry"][0]["changes"][0]["value"]
    value["whatever"] = "ok"
    value["messages"][0]["referral"] = {"source_type": "ad"}

    assert only_inbound(body).event == TextReceived("oi, recebi uma mensagem de voces")


def test_changes_of_other_fields_are_ignored() -> None:
    body = notification({"event": "FLAGGED", "message_template_id": 1}, field="template_status")

    assert parse_webhook(body) == []


def test_statuses_quita_does_not_track_are_ignored() -> None:
    body = copy.deepcopy(SAMPLES["status_sent"])
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = "deleted"

    assert parse_webhook(body) == []


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "text",
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": {"changes": []}},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
        notification({"messages": {"not": "a list"}}),
        notification({"messages": [{"from": SENDER, "id": "wamid.1", "type": "text"}]}),
        notification(
            {"messages": [{"from": SENDER, "id": "wamid.1", "timestamp": "soon", "type": "text"}]}
        ),
        notification(
            {
                "messages": [
                    {"from": SENDER, "timestamp": "1", "type": "text", "text": {"body": "x"}}
                ]
            }
        ),
        notification(
            {"messages": [{"from": SENDER, "id": "w", "timestamp": "1", "type": "text", "text": 3}]}
        ),
        notification({"statuses": [{"id": OUR_WAMID, "status": "read"}]}),
    ],
)
def test_wrong_shapes_are_refused_as_a_whole(payload: object) -> None:
    with pytest.raises(MalformedPayloadError):
        parse_webhook(payload)
