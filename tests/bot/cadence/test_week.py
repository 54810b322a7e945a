"""A week of cadence for the sample portfolio, hour by hour on a manual clock: exactly the
expected messages, at the expected local times, through the expected channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage import tables
from tests.bot.cadence.portfolio import AGREEMENT_DEBTOR, OPTED_OUT, PROMISED, dress
from tests.bot.cadence.rig import SAO_PAULO, Rig, cadence_rig

KINDS = {
    "Temos um assunto do seu interesse": "outreach.first",
    "Aqui é novamente": "outreach.second",
    "Não vou mais insistir": "outreach.third",
    "Passando para lembrar": "reminder.before_due",
    "vence hoje": "reminder.due_today",
    "Ainda não identificamos": "reminder.overdue",
    "segue em aberto": "reminder.overdue_again",
    "Tenho uma mensagem para você": "reminder.unverified",
    "Hoje é o dia que combinamos": "reminder.promise_today",
}
OUTREACH_DEBTORS = ["CLI-0001", "CLI-0002", "CLI-0003", "CLI-0004", "CLI-0007", "CLI-0008",
                    "CLI-0009"]  # fmt: skip


def kind_of(text: str) -> str:
    found = [kind for marker, kind in KINDS.items() if marker in text]
    assert len(found) == 1, text
    return found[0]


async def sent_log(rig: Rig) -> list[tuple[str, str, str]]:
    phones = await rig.phones()
    return sorted(
        (f"{s.at:%a %d %H:%M}", phones[s.address], kind_of(s.message.text)) for s in rig.sent
    )


def at(day: int, hour: int) -> datetime:
    month = 11 if day > 20 else 12
    return datetime(2026, month, day, hour, tzinfo=SAO_PAULO)


def expected() -> list[tuple[str, str, str]]:
    rows = []
    for debtor in OUTREACH_DEBTORS:
        rows.append(("Wed 25 10:00", debtor, "outreach.first"))  # imported at 10:00
        rows.append(("Sat 28 09:00", debtor, "outreach.second"))
        rows.append(("Wed 02 09:00", debtor, "outreach.third"))
    rows += [
        ("Fri 27 09:00", AGREEMENT_DEBTOR, "reminder.before_due"),  # D-3
        # D0 is Mon 30, Evangelical Day in DF: said the contact day before (Sunday is closed).
        ("Sat 28 09:00", AGREEMENT_DEBTOR, "reminder.before_due"),
        ("Tue 01 09:00", AGREEMENT_DEBTOR, "reminder.overdue"),  # D+1
    ]
    return sorted(rows)


async def test_a_week_of_cadence_sends_exactly_the_expected_messages(database_url: str) -> None:
    async with cadence_rig(database_url) as rig:
        await dress(rig)
        await rig.run_until(at(2, 23))
        assert await sent_log(rig) == expected()
        # Outreach to a number that never wrote goes with the approved template.
        phones = await rig.phones()
        first = next(s for s in rig.sent if phones[s.address] == "CLI-0002")
        assert first.channel == "whatsapp"
        assert first.message.proactive
        assert first.message.template is not None
        assert first.message.template.name == "quita_contato_inicial"
        assert first.message.template.body_params == ("João", "Loja Exemplo Ltda")
        assert "R$" not in first.message.text  # nothing about money before verification
        # The verified chat hears the amount, the due date and who the creditor is.
        reminder = next(s for s in rig.sent if "lembrar" in s.message.text)
        assert "R$ 76,19" in reminder.message.text
        assert "30/11/2026" in reminder.message.text
        assert "CNPJ" in reminder.message.text


async def test_nothing_goes_on_sunday_or_outside_the_window(database_url: str) -> None:
    async with cadence_rig(database_url) as rig:
        await dress(rig)
        await rig.run_until(at(2, 23))
        for sent in rig.sent:
            assert sent.at.weekday() != 6
            limit = 14 if sent.at.weekday() == 5 else 20
            assert 8 <= sent.at.hour < limit, sent.at


async def test_opt_out_and_the_daily_cap_hold_with_reasons(database_url: str) -> None:
    async with cadence_rig(database_url) as rig:
        await dress(rig)
        await rig.run_until(at(2, 23))
        phones = await rig.phones()
        assert OPTED_OUT not in {phones[s.address] for s in rig.sent}
        maria_on_wednesday = [
            s for s in rig.sent if phones[s.address] == PROMISED and s.at.day == 25
        ]
        assert len(maria_on_wednesday) == 1  # outreach went; the promise reminder was capped
        job = tables.scheduled_job
        async with rig.quita.db.transaction(write=False) as tx:
            rows = (
                await tx.connection.execute(select(job.c.kind, job.c.status, job.c.result))
            ).all()
        results = {(kind, status, (result or "").split(":")[0]) for kind, status, result in rows}
        assert ("outreach", "dropped", "opted_out") in results
        assert ("promise_reminder", "dropped", "cap") in results
