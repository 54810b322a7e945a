"""WhatsApp end to end: Meta-signed webhooks into the real service, replies through the outbox
to the fake Graph API, on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.clock import ManualClock
from bot.wiring import attach_whatsapp
from dialogs.flow.events import AgentSays
from storage import tables
from tests.fakes.graph_api import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    SAMPLES,
    SENDER,
    VERIFY_TOKEN,
    FakeGraphApi,
    encode,
    notification,
    sender_numbers,
    sign,
    signed_headers,
    text_messages_body,
)
from tests.support.harness import REFERENCE_NOW, RunningQuita, running_quita
from tests.waiting import eventually

URL = "/whatsapp/webhook"
MARCOS_CPF = "529.982.247-25"
MARCOS_WA_ID = "5511976543210"
MARCOS_WA_ID_WITHOUT_NINE = "551176543210"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_wamids = itertools.count(1)


@dataclass
class WhatsApp:
    """The app, the fake Graph API and an HTTP client posting webhooks the way Meta does."""

    q: RunningQuita
    graph: FakeGraphApi
    http: aiohttp.ClientSession
    clock: ManualClock

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> int:
        sent = signed_headers(body) if headers is None else headers
        async with self.http.post(self.q.base_url + URL, data=body, headers=sent) as response:
            return response.status

    async def query(self, rows: Any) -> list[dict[str, Any]]:
        async with self.q.quita.db.transaction(write=False) as tx:
            result = await tx.connection.execute(rows)
            return [dict(row) for row in result.mappings().all()]

    def debtor(self, wa_id: str, name: str = "Cliente") -> Debtor:
        return Debtor(self, wa_id, name)


@dataclass
class Debtor:
    """A WhatsApp user: writes and taps through signed webhooks, reads what Quita sent."""

    app: WhatsApp
    wa_id: str
    name: str = "Cliente"
    wamids: list[str] = field(default_factory=list)

    async def send(self, message: dict[str, Any], *, wamid: str | None = None) -> str:
        wamid = wamid or f"wamid.e2e-{next(_wamids)}"
        body = notification(
            {
                "contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
                "messages": [
                    {"from": self.wa_id, "id": wamid, "timestamp": "1764072000", **message}
                ],
            }
        )
        assert await self.app.post(encode(body)) == 200
        self.wamids.append(wamid)
        return wamid

    async def say(self, text: str, *, wamid: str | None = None) -> str:
        return await self.send({"type": "text", "text": {"body": text}}, wamid=wamid)

    async def tap(self, choice: str) -> None:
        """Answer the last interactive message the way WhatsApp reports the tap."""
        last = self.interactive[-1]["interactive"]
        if last["type"] == "button":
            titles = {b["reply"]["id"]: b["reply"]["title"] for b in last["action"]["buttons"]}
            reply = {
                "type": "button_reply",
                "button_reply": {"id": choice, "title": titles[choice]},
            }
        else:
            rows = {r["id"]: r["title"] for r in last["action"]["sections"][0]["rows"]}
            reply = {"type": "list_reply", "list_reply": {"id": choice, "title": rows[choice]}}
        await self.send({"type": "interactive", "interactive": reply})

    @property
    def received(self) -> list[dict[str, Any]]:
        return [p for p in self.app.graph.sent if p["to"] == self.wa_id]

    @property
    def texts(self) -> list[str]:
        out = []
        for payload in self.received:
            if payload["type"] == "text":
                out.append(payload["text"]["body"])
            elif payload["type"] == "interactive":
                out.append(payload["interactive"]["body"]["text"])
        return out

    @property
    def interactive(self) -> list[dict[str, Any]]:
        return [p for p in self.received if p["type"] == "interactive"]

    def choices(self) -> list[str]:
        if not self.interactive:
            return []
        last = self.interactive[-1]["interactive"]
        if last["type"] == "button":
            return [b["reply"]["id"] for b in last["action"]["buttons"]]
        return [r["id"] for r in last["action"]["sections"][0]["rows"]]

    async def wait_for(self, condition: Callable[[Debtor], bool], within: float = 10) -> None:
        await self.app.graph.wait_for(lambda: condition(self), within)

    async def wait_for_text(self, fragment: str, within: float = 10) -> str:
        await self.wait_for(lambda d: any(fragment in t for t in d.texts), within)
        return next(t for t in self.texts if fragment in t)

    async def wait_for_choice(self, choice: str) -> None:
        await self.wait_for(lambda d: choice in d.choices())


def whatsapp_settings(graph: FakeGraphApi) -> dict[str, Any]:
    return {
        "whatsapp_access_token": ACCESS_TOKEN,
        "whatsapp_phone_number_id": PHONE_NUMBER_ID,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_api_base_url": graph.base_url,
    }


@pytest.fixture
async def wa(database_url: str) -> AsyncIterator[WhatsApp]:
    clock = ManualClock(REFERENCE_NOW)
    async with (
        FakeGraphApi() as graph,
        running_quita(
            database_url, clock=clock, settings=whatsapp_settings(graph), attach=[attach_whatsapp]
        ) as q,
        aiohttp.ClientSession() as http,
    ):
        yield WhatsApp(q, graph, http, clock)


# --- the webhook's gate -------------------------------------------------------------------


async def test_verification_handshake_echoes_the_challenge_only_for_our_token(
    wa: WhatsApp,
) -> None:
    def query(token: str) -> dict[str, str]:
        return {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}

    async with wa.http.get(wa.q.base_url + URL, params=query(VERIFY_TOKEN)) as good:
        assert (good.status, await good.text()) == (200, "1158201444")
    async with wa.http.get(wa.q.base_url + URL, params=query("guess")) as bad:
        assert bad.status == 403


async def test_unsigned_forged_and_malformed_posts_are_refused_and_nothing_is_recorded(
    wa: WhatsApp,
) -> None:
    body = encode(SAMPLES["text_message"])
    forged = {"Content-Type": "application/json", "X-Hub-Signature-256": sign("other", body)}
    unsigned = {"Content-Type": "application/json"}
    not_json = b'{"object": "whatsapp_business_account", "entry": [tru'
    bad_shape = encode({"object": "whatsapp_business_account", "entry": {"changes": 1}})

    assert await wa.post(body, unsigned) == 401
    assert await wa.post(body, forged) == 401
    assert await wa.post(not_json) == 400
    assert await wa.post(bad_shape) == 400

    assert await wa.query(select(tables.message)) == []
    assert await wa.query(select(tables.conversation)) == []
    assert wa.graph.calls == []


async def test_the_same_wamid_delivered_twice_is_answered_once(wa: WhatsApp) -> None:
    maria = wa.debtor(SENDER)
    await maria.say("oi", wamid="wamid.twice")
    await maria.say("oi", wamid="wamid.twice")
    await maria.say("641.526.776-00")
    await maria.wait_for_text("Total atualizado")

    greetings = [t for t in maria.texts if "CPF" in t]
    assert len(greetings) == 1
    inbound = await wa.query(select(tables.message).where(tables.message.c.direction == "in"))
    assert [m["channel_message_id"] for m in inbound].count("wamid.twice") == 1


# --- negotiating on WhatsApp --------------------------------------------------------------


async def test_debtor_negotiates_with_buttons_and_lists_and_gets_the_pix_qr_and_code(
    wa: WhatsApp,
) -> None:
    marcos = wa.debtor(MARCOS_WA_ID, name="Marcos")
    await marcos.say("oi")
    await marcos.wait_for_text("CPF")
    await marcos.say(MARCOS_CPF)
    assert "R$ 2.512,80" in await marcos.wait_for_text("Total atualizado")
    await marcos.wait_for_choice("installments")
    await marcos.tap("installments")
    await marcos.wait_for_choice("plan:6")
    await marcos.tap("plan:6")
    await marcos.wait_for_choice("ch:pix")
    await marcos.tap("ch:pix")
    assert "6 parcelas de R$ 418,80" in await marcos.wait_for_text("Confira o seu acordo")
    await marcos.wait_for_choice("confirm")
    await marcos.tap("confirm")
    await marcos.wait_for(lambda d: any(t.startswith("000201") for t in d.texts))

    kinds = {p["interactive"]["type"] for p in marcos.interactive}
    assert kinds == {"button", "list"}  # ≤ 3 choices as reply buttons, more as a list
    code = next(t for t in marcos.texts if t.startswith("000201"))
    assert "br.gov.bcb.pix" in code
    image = next(p for p in marcos.received if p["type"] == "image")
    assert wa.graph.uploaded(image["image"]["id"]).startswith(PNG_SIGNATURE)
    uploads = [c for c in wa.graph.calls if c.endpoint == "media"]
    assert [c.media_id for c in uploads] == [image["image"]["id"]]

    agreements = await wa.query(select(tables.agreement))
    assert [a["total_cents"] for a in agreements] == [251_280]
    await eventually(lambda: all_sent(wa))


async def test_a_wa_id_without_the_ninth_digit_finds_the_debtor(wa: WhatsApp) -> None:
    marcos = wa.debtor(MARCOS_WA_ID_WITHOUT_NINE)
    await marcos.say("oi")
    await marcos.wait_for_text("Marcos")  # known by phone...
    await marcos.wait_for_text("CPF")  # ...and still asked to verify before any detail

    assert "2.512,80" not in " ".join(marcos.texts)
    conversations = await wa.query(select(tables.conversation))
    debtors = await wa.query(select(tables.debtor).where(tables.debtor.c.cpf == "52998224725"))
    assert [c["debtor_id"] for c in conversations] == [debtors[0]["id"]]


async def test_a_sticker_gets_a_polite_text_only_answer(wa: WhatsApp) -> None:
    assert await wa.post(encode(SAMPLES["unsupported_sticker"])) == 200
    maria = wa.debtor(SENDER)
    await maria.wait_for(lambda d: len(d.texts) >= 1)
    assert any("texto" in t for t in maria.texts)


# --- the 24 h window ----------------------------------------------------------------------


async def test_outside_the_window_a_free_form_message_becomes_the_reengagement_template(
    wa: WhatsApp,
) -> None:
    marcos = wa.debtor(MARCOS_WA_ID)
    await marcos.say("oi")
    await marcos.wait_for_text("CPF")
    wa.clock.advance(timedelta(hours=25))

    await wa.q.quita.service.handle(agent_says("Olá, Marcos, posso ajudar?", marcos.wa_id))
    await marcos.wait_for(lambda d: d.received[-1]["type"] == "template")

    template = marcos.received[-1]["template"]
    assert template["name"] == "quita_retomar_conversa"
    creditor = wa.q.quita.policy.creditor.name
    assert template["components"][0]["parameters"] == [{"type": "text", "text": creditor}]
    refused = await failed_messages(wa)
    assert [m["text"] for m in refused] == ["Olá, Marcos, posso ajudar?"]
    assert "24 h window" in refused[0]["delivery_error"]

    # A second message in the same closed window does not send a second template.
    await wa.q.quita.service.handle(agent_says("Ainda por aqui?", marcos.wa_id))
    assert len(await failed_messages(wa)) == 2
    assert [p["type"] for p in marcos.received].count("template") == 1


async def test_outside_the_window_a_reminder_goes_out_as_its_own_template(wa: WhatsApp) -> None:
    marcos = wa.debtor(MARCOS_WA_ID)
    await marcos.say("oi")
    await marcos.wait_for_text("CPF")
    wa.clock.advance(timedelta(days=2))

    params = ("Marcos", "R$ 418,80", "05/12/2026")
    event = agent_says("Lembrete: parcela de R$ 418,80 vence em 05/12/2026.", marcos.wa_id)
    await wa.q.quita.service.handle(
        replace_event(event, template_key="installment_reminder", template_params=params)
    )
    await marcos.wait_for(lambda d: d.received[-1]["type"] == "template")

    template = marcos.received[-1]["template"]
    assert template["name"] == "quita_lembrete_parcela"
    assert [p["text"] for p in template["components"][0]["parameters"]] == list(params)
    assert await failed_messages(wa) == []


async def test_meta_refusing_a_reply_with_131047_sends_the_template_instead(wa: WhatsApp) -> None:
    marcos = wa.debtor(MARCOS_WA_ID)
    wa.graph.fail_next(131047)
    await marcos.say("oi")
    await marcos.wait_for(lambda d: any(p["type"] == "template" for p in d.received))

    templates = [p["template"]["name"] for p in marcos.received if p["type"] == "template"]
    assert templates == ["quita_retomar_conversa"]
    refused = await failed_messages(wa)
    assert len(refused) == 1
    assert "131047" in refused[0]["delivery_error"]
    assert "quita_retomar_conversa sent" in refused[0]["delivery_error"]


async def test_131047_on_a_message_with_a_template_sends_that_template(wa: WhatsApp) -> None:
    marcos = wa.debtor(MARCOS_WA_ID)
    await marcos.say("oi")
    await marcos.wait_for_text("CPF")
    wa.graph.fail_next(131047)
    params = ("Marcos", "R$ 418,80", "05/12/2026")
    event = agent_says("Lembrete: parcela de R$ 418,80 vence em 05/12/2026.", marcos.wa_id)
    await wa.q.quita.service.handle(
        replace_event(event, template_key="installment_reminder", template_params=params)
    )
    await marcos.wait_for(lambda d: any(p["type"] == "template" for p in d.received))

    assert marcos.received[-1]["template"]["name"] == "quita_lembrete_parcela"
    refused = await failed_messages(wa)
    assert "sent as template quita_lembrete_parcela" in refused[0]["delivery_error"]


async def test_a_rate_limit_130429_backs_off_and_delivers_once(wa: WhatsApp) -> None:
    maria = wa.debtor(SENDER)
    wa.graph.fail_next(130429, times=2)
    await maria.say("oi")
    for failures in (1, 2):  # each retry is due a moment later on the test's clock
        await eventually(partial(retry_scheduled, wa, failures))
        wa.clock.advance(timedelta(seconds=1))
    await maria.wait_for_text("CPF")
    await eventually(lambda: all_sent(wa))

    assert [c.status for c in wa.graph.calls[:2]] == [400, 400]
    assert len(maria.texts) == len(set(maria.texts))  # nothing delivered twice
    outbox = await wa.query(select(tables.outbox).order_by(tables.outbox.c.id))
    assert outbox[0]["status"] == "sent"
    assert "130429" in outbox[0]["last_error"]


# --- statuses and preferences -------------------------------------------------------------


async def test_statuses_move_delivery_forward_and_never_back(wa: WhatsApp) -> None:
    maria = wa.debtor(SENDER)
    await maria.say("oi")
    await maria.wait_for_text("CPF")
    wamid = await outbound_wamid(wa)

    for status in ("read", "delivered", "sent"):  # Meta's order is not guaranteed
        assert await wa.post(encode(status_body(wamid, status))) == 200
    assert await delivery(wa, wamid) == ("read", None)

    assert await wa.post(encode(status_body(wamid, "failed", code=131026))) == 200
    assert await delivery(wa, wamid) == ("read", None)


async def test_a_failed_status_keeps_meta_s_error_code_for_the_console(wa: WhatsApp) -> None:
    maria = wa.debtor(SENDER)
    await maria.say("oi")
    await maria.wait_for_text("CPF")
    wamid = await outbound_wamid(wa)

    assert await wa.post(encode(status_body(wamid, "sent"))) == 200
    assert await wa.post(encode(status_body(wamid, "failed", code=131047))) == 200
    assert await delivery(wa, wamid) == ("failed", "whatsapp error 131047")


async def test_a_later_131047_status_sends_the_reengagement_template_once(wa: WhatsApp) -> None:
    maria = wa.debtor(SENDER)
    await maria.say("oi")
    await maria.wait_for_text("CPF")
    wamid = await outbound_wamid(wa)

    refused = encode(status_body(wamid, "failed", code=131047))  # accepted, then refused
    assert await wa.post(refused) == 200
    await maria.wait_for(lambda d: any(p["type"] == "template" for p in d.received))
    assert await wa.post(refused) == 200  # Meta repeats a status: nothing new goes out
    await eventually(lambda: all_sent(wa))

    templates = [p["template"]["name"] for p in maria.received if p["type"] == "template"]
    assert templates == ["quita_retomar_conversa"]
    assert await delivery(wa, wamid) == ("failed", "whatsapp error 131047")
    message = tables.message
    transcript = await wa.query(select(message).order_by(message.c.id))
    assert transcript[-1]["author"] == "bot"
    assert json.loads(transcript[-1]["payload"])["template"]["name"] == "quita_retomar_conversa"


async def test_a_later_131047_on_a_reminder_sends_its_own_template(wa: WhatsApp) -> None:
    marcos = wa.debtor(MARCOS_WA_ID)
    await marcos.say("oi")
    await marcos.wait_for_text("CPF")
    params = ("Marcos", "R$ 418,80", "05/12/2026")
    event = agent_says("Lembrete: parcela de R$ 418,80 vence em 05/12/2026.", marcos.wa_id)
    await wa.q.quita.service.handle(
        replace_event(event, template_key="installment_reminder", template_params=params)
    )
    await marcos.wait_for_text("Lembrete")  # inside the window: free-form
    wamid = await last_outbound_wamid(wa)

    refused = status_body(wamid, "failed", code=131047, to=MARCOS_WA_ID)
    assert await wa.post(encode(refused)) == 200
    await marcos.wait_for(lambda d: d.received[-1]["type"] == "template")

    template = marcos.received[-1]["template"]
    assert template["name"] == "quita_lembrete_parcela"
    assert [p["text"] for p in template["components"][0]["parameters"]] == list(params)


@pytest.mark.parametrize(
    ("code", "unreachable", "opted_out"), [(131026, True, False), (131050, False, True)]
)
async def test_a_later_refusal_marks_the_contact_and_sends_nothing_else(
    wa: WhatsApp, code: int, unreachable: bool, opted_out: bool
) -> None:
    maria = wa.debtor(SENDER)
    await maria.say("oi")
    await maria.wait_for_text("CPF")
    wamid = await outbound_wamid(wa)
    sent_before = len(maria.received)

    assert await wa.post(encode(status_body(wamid, "failed", code=code))) == 200
    await eventually(lambda: all_sent(wa))

    assert await delivery(wa, wamid) == ("failed", f"whatsapp error {code}")
    async with wa.q.quita.db.transaction(write=False) as tx:
        contact = await tx.contacts.by_address("whatsapp", SENDER)
    assert contact is not None
    assert (contact.unreachable_at is not None) is unreachable
    assert (contact.opted_out_at is not None) is opted_out
    if unreachable:
        assert contact.unreachable_reason == f"whatsapp error {code}"
    assert len(maria.received) == sent_before


async def test_marketing_stop_opts_the_contact_out_and_resume_opts_back_in(wa: WhatsApp) -> None:
    maria = wa.debtor(SENDER)
    await maria.say("oi")
    await maria.wait_for_text("CPF")

    assert await wa.post(encode(SAMPLES["marketing_stop"])) == 200
    contacts = await wa.query(select(tables.contact))
    assert contacts[0]["opted_out_at"] is not None
    assert await wa.post(encode(SAMPLES["marketing_stop"])) == 200  # a redelivery is ignored

    assert await wa.post(encode(SAMPLES["marketing_resume"])) == 200
    contacts = await wa.query(select(tables.contact))
    assert contacts[0]["opted_out_at"] is None


# --- many debtors at once -----------------------------------------------------------------


async def test_fifty_debtors_in_one_body_all_advance_each_in_order(wa: WhatsApp) -> None:
    senders = sender_numbers(50)
    assert await wa.post(text_messages_body(senders, 2, 1764072000)) == 200

    conversations = await wa.query(select(tables.conversation))
    assert len(conversations) == 50
    assert all(c["state"] != "new" for c in conversations)
    inbound = await wa.query(
        select(tables.message)
        .where(tables.message.c.direction == "in")
        .order_by(tables.message.c.id)
    )
    by_chat: dict[int, list[str]] = {}
    for message in inbound:
        by_chat.setdefault(message["conversation_id"], []).append(message["text"])
    assert len(by_chat) == 50
    for texts in by_chat.values():
        index = texts[0].split(":")[0]
        assert texts == [f"{index}:0", f"{index}:1"]
    await wa.graph.wait_for(lambda: {p["to"] for p in wa.graph.sent} == set(senders), 20)


# --- helpers --------------------------------------------------------------------------------


def agent_says(text: str, wa_id: str) -> Inbound:
    return Inbound(
        key=ConversationKey(ChannelName.WHATSAPP, wa_id),
        event=AgentSays(text, "Ana"),
        received_at=REFERENCE_NOW,
        idempotency_key=f"agent:{next(_wamids)}",
    )


def replace_event(inbound: Inbound, **changes: Any) -> Inbound:
    assert isinstance(inbound.event, AgentSays)
    return replace(inbound, event=replace(inbound.event, **changes))


async def failed_messages(wa: WhatsApp) -> list[dict[str, Any]]:
    message = tables.message
    return await wa.query(
        select(message).where(message.c.delivery_status == "failed").order_by(message.c.id)
    )


async def all_sent(wa: WhatsApp) -> bool:
    outbox = await wa.query(select(tables.outbox))
    return bool(outbox) and all(row["status"] == "sent" for row in outbox)


async def retry_scheduled(wa: WhatsApp, failures: int) -> bool:
    """The API refused `failures` calls and the outbox has put the row back for later (no
    longer leased: a leased row is `pending` too)."""
    rows = await wa.query(select(tables.outbox).order_by(tables.outbox.c.id))
    head = rows[0]
    return (
        len(wa.graph.calls) >= failures
        and head["status"] == "pending"
        and head["claimed_until"] is None
    )


async def outbound_wamid(wa: WhatsApp) -> str:
    """The platform id of the first message Quita sent, once the outbox recorded it."""
    await eventually(lambda: all_sent(wa))
    outbox = await wa.query(select(tables.outbox).order_by(tables.outbox.c.id))
    wamid: str = outbox[0]["channel_message_id"]
    return wamid


async def last_outbound_wamid(wa: WhatsApp) -> str:
    """The platform id of the last message Quita sent, once the outbox recorded it."""
    await eventually(lambda: all_sent(wa))
    outbox = await wa.query(select(tables.outbox).order_by(tables.outbox.c.id.desc()))
    wamid: str = outbox[0]["channel_message_id"]
    return wamid


async def delivery(wa: WhatsApp, wamid: str) -> tuple[str, str | None]:
    message = tables.message
    rows = await wa.query(select(message).where(message.c.channel_message_id == wamid))
    return rows[0]["delivery_status"], rows[0]["delivery_error"]


def status_body(
    wamid: str, status: str, *, code: int | None = None, to: str = SENDER
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": "1764072001",
        "recipient_id": to,
    }
    if code is not None:
        item["errors"] = [{"code": code, "title": "error"}]
    return notification({"statuses": [item]})
