"""`POST /api/payments` end to end: a debtor closes a deal in the web chat, the creditor's
system confirms the payments with signed notices, the debtor is thanked in the chat."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.payments.signature import SIGNATURE_HEADER, sign
from bot.web.payments_api import attach_payments
from storage import Database, tables
from tests.support.harness import RunningQuita, WebchatClient, running_quita

SECRET = "webhook-secret-for-tests"
URL = "/api/payments"


@asynccontextmanager
async def quita_with_payments(database_url: str) -> AsyncIterator[RunningQuita]:
    async with running_quita(
        database_url,
        attach=[attach_payments],
        settings={"payments_webhook_secret": SECRET},
    ) as q:
        yield q


async def post(
    q: RunningQuita,
    body: bytes | dict[str, Any],
    *,
    signature: str | None = "valid",
) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "valid":
        headers[SIGNATURE_HEADER] = sign(SECRET.encode(), raw)
    elif signature is not None:
        headers[SIGNATURE_HEADER] = signature
    async with (
        aiohttp.ClientSession() as http,
        http.post(q.base_url + URL, data=raw, headers=headers) as response,
    ):
        if response.content_type != "application/json":
            return response.status, {}
        return response.status, await response.json()


async def count(database_url: str, table: Any) -> int:
    db = Database(database_url)
    try:
        async with db.transaction(write=False) as tx:
            query = select(func.count()).select_from(table)
            return int((await tx.connection.execute(query)).scalar_one())
    finally:
        await db.dispose()


async def installments(q: RunningQuita) -> list[tuple[str, int]]:
    async with q.quita.db.transaction(write=False) as tx:
        rows = await tx.connection.execute(
            select(tables.installment.c.txid, tables.installment.c.amount_cents).order_by(
                tables.installment.c.number
            )
        )
        return [(txid, amount) for txid, amount in rows.all()]


async def close_a_deal(chat: WebchatClient, plan: int) -> None:
    await chat.hello()
    await chat.wait_for_text("CPF")
    await chat.say("529.982.247-25")
    await chat.wait_for(lambda c: "installments" in c.last_buttons)
    await chat.press("installments")
    await chat.wait_for(lambda c: "plan:6" in c.last_buttons)
    await chat.press(f"plan:{plan}")
    await chat.wait_for(lambda c: "ch:pix" in c.last_buttons)
    await chat.press("ch:pix")
    await chat.wait_for_text("Confira o seu acordo")
    await chat.press("confirm")
    await chat.wait_for(lambda c: any(m.get("copy_code") for m in c.messages))


async def test_signed_webhooks_thank_the_debtor_and_complete_the_agreement(
    database_url: str,
) -> None:
    async with quita_with_payments(database_url) as q, WebchatClient(q.base_url) as chat:
        await close_a_deal(chat, plan=2)
        code = next(m["text"] for m in chat.messages if m.get("copy_code"))
        (txid1, amount1), (_, amount2) = await installments(q)
        assert txid1 in code  # the PIX the debtor pays carries the installment's txid
        notice = {
            "txid": txid1,
            "amount": f"{amount1 / 100:.2f}",
            "paid_at": "2026-11-26T09:15:00-03:00",
            "external_id": "E00000000202611261215abcdef",
        }

        status, answer = await post(q, notice)
        thanks = await chat.wait_for_text("Recebemos o pagamento da parcela 1")
        again_status, again = await post(q, notice)

        assert (status, answer["status"]) == (200, "recorded"), answer
        assert answer["flagged"] is False
        assert answer["installment_status"] == "paid"
        assert "Faltam 1 parcela(s), somando R$ 1.256,40" in thanks
        assert (again_status, again["status"]) == (200, "duplicate")

        status, last = await post(
            q,
            {
                "agreement_id": answer["agreement_id"],
                "installment": 2,
                "amount": amount2 / 100,  # a JSON number works too
                "paid_at": "2026-11-25T10:00:00-03:00",
                "external_id": "E2",
            },
        )
        await chat.wait_for_text("O seu acordo está quitado")
        assert (status, last["agreement_status"]) == (200, "completed"), last

        await chat.say("resumo do acordo")
        receipt = await chat.wait_for_text("Resumo do acordo")
        assert "Acordo quitado em" in receipt
    assert await count(database_url, tables.payment) == 2
    thanks_sent = sum("Recebemos o pagamento da parcela 1" in t for t in chat.bot_texts)
    assert thanks_sent == 1


async def test_forged_missing_and_malformed_notices_record_nothing(database_url: str) -> None:
    async with quita_with_payments(database_url) as q, WebchatClient(q.base_url) as chat:
        await close_a_deal(chat, plan=2)
        ((txid, amount), _) = await installments(q)
        good = {
            "txid": txid,
            "amount": f"{amount / 100:.2f}",
            "paid_at": "2026-11-26T09:15:00-03:00",
            "external_id": "X-1",
        }
        forged = await post(q, good, signature="sha256=" + "0" * 64)
        unsigned = await post(q, good, signature=None)
        other_secret = await post(
            q, good, signature=sign(b"not-the-secret", json.dumps(good).encode())
        )
        assert [forged[0], unsigned[0], other_secret[0]] == [401, 401, 401]
        assert forged[1]["error"] == "bad_signature"

        cases: list[tuple[bytes | dict[str, Any], int, str | None]] = [
            (b"{not json", 400, None),
            (b"[1, 2]", 400, None),
            ({**good, "amount": "418,80"}, 400, "amount"),
            ({**good, "amount": "-1.00"}, 400, "amount"),
            ({**good, "paid_at": "2026-11-26T09:15:00"}, 400, "paid_at"),
            ({**good, "paid_at": "2030-01-01T00:00:00+00:00"}, 400, "paid_at"),
            ({k: v for k, v in good.items() if k != "external_id"}, 400, "external_id"),
            ({**good, "txid": "not a txid!"}, 400, "txid"),
            ({**good, "txid": "Q00009999N001"}, 404, "txid"),
            ({k: v for k, v in good.items() if k != "txid"}, 400, "agreement_id"),
            (b"{" + b" " * 20_000 + b"}", 413, None),
        ]
        for body, expected, field in cases:
            status, answer = await post(q, body)
            assert status == expected, (body, answer)
            assert answer["message"], answer
            if field is not None:
                assert answer["field"] == field, answer
    assert await count(database_url, tables.payment) == 0
    assert not any("Recebemos o pagamento" in t for t in chat.bot_texts)


async def test_a_partial_payment_is_flagged_for_a_person(database_url: str) -> None:
    async with quita_with_payments(database_url) as q, WebchatClient(q.base_url) as chat:
        await close_a_deal(chat, plan=2)
        ((txid, _), _) = await installments(q)
        status, answer = await post(
            q,
            {
                "txid": txid,
                "amount": "100.00",
                "paid_at": "2026-11-26T09:15:00-03:00",
                "external_id": "PART-1",
            },
        )
        assert status == 200
        assert (answer["flagged"], answer["installment_status"]) == (True, "pending")
        async with q.quita.db.transaction(write=False) as tx:
            queue = await tx.escalations.list_open()
        assert [e.reason for e in queue] == ["payment_mismatch"]
        assert "R$ 100,00" in queue[0].summary


async def test_the_route_is_off_without_a_secret(database_url: str) -> None:
    async with running_quita(database_url, attach=[attach_payments]) as q:
        status, _ = await post(q, {"txid": "Q00000001N001"})
    assert status == 404
