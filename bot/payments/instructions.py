"""Payment instructions for one installment, in the channel the debtor chose.

PIX: the QR code as an image, then the copy-and-paste code alone in its own message (easy to
copy on a phone). Boleto: the creditor's own line, validated before it is ever shown. Card: a
link from the policy's template. Every text comes from the catalogs.
"""

from __future__ import annotations

from datetime import date

from bot.channels.base import OutboundMessage
from bot.i18n import render
from bot.payments.boleto import BoletoError, format_line, parse_boleto
from bot.payments.links import card_link
from bot.payments.pix import PixCharge, build_brcode
from dialogs.flow.actions import Message, Money, ParamValue
from dialogs.money import from_cents
from dialogs.negotiation.policy import Policy
from storage import AgreementRow, InstallmentRow


def next_installment(agreement: AgreementRow, number: int | None) -> InstallmentRow | None:
    for installment in agreement.installments:
        if number is not None and installment.number == number:
            return installment
        if number is None and installment.status in ("pending", "late"):
            return installment
    return None


def instructions_for(
    agreement: AgreementRow,
    payment_channel: str,
    installment_number: int | None,
    policy: Policy,
    locale: str,
    *,
    today: date,
    boleto_line: str | None = None,
) -> list[OutboundMessage]:
    installment = next_installment(agreement, installment_number)
    if installment is None:
        return [OutboundMessage(text=render(Message("payment.nothing_due"), locale))]
    params: dict[str, ParamValue] = {
        "number": installment.number,
        "count": len(agreement.installments),
        "amount": Money(installment.amount_cents),
        "due": installment.due_date,
    }
    if payment_channel == "pix":
        code = build_brcode(
            PixCharge(
                key=policy.creditor.pix_key,
                merchant_name=policy.creditor.name,
                merchant_city=policy.creditor.pix_city,
                amount=from_cents(installment.amount_cents),
                txid=installment.txid,
            )
        )
        return [
            OutboundMessage(
                qr_payload=code,
                image_caption=render(Message("payment.pix.caption", params), locale),
            ),
            OutboundMessage(text=code, copy_code=True),
        ]
    if payment_channel == "card":
        link = card_link(
            policy.channels.card_link_template,
            agreement_id=agreement.id,
            installment=installment.number,
        )
        return [
            OutboundMessage(
                text=render(Message("payment.card.link", {**params, "link": link}), locale)
            )
        ]
    if boleto_line:
        try:
            boleto = parse_boleto(boleto_line, today=today)
        except BoletoError:
            boleto = None
        if boleto is not None and boleto.amount_cents == installment.amount_cents:
            return [
                OutboundMessage(text=render(Message("payment.boleto.line", params), locale)),
                OutboundMessage(text=format_line(boleto.line), copy_code=True),
            ]
    return [OutboundMessage(text=render(Message("payment.boleto.pending", params), locale))]
