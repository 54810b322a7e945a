"""The simulated debtors every bench drives: who they are, what they type, and what the pure
dialog answers them (the baseline without storage, and the aiogram reference's replies)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bot.channels.base import OutboundMessage
from bot.rendering import render_reply
from dialogs.flow import Context, State, initial_context, step
from dialogs.flow.actions import LookupDebtor, Reply
from dialogs.flow.events import DebtorLookedUp, Event, StartRequested, TextReceived
from dialogs.flow.snapshots import DebtorSnapshot, DebtSnapshot
from dialogs.negotiation.policy import Policy
from storage import Database
from storage.debt_import import ImportedDebt, ImportedDebtor, upsert_imported_debts

BENCH_NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
SCRIPT_AFTER_CPF = ("quero parcelar", "6x", "sim", "pix", "sim", "obrigado")
FIVE_STEPS = 5
"""DESIGN.md's five-step flow, the first five messages of the script: greeting, verification,
balance and offer, the 6x plan, the agreement confirmed."""
DEBT_CENTS = 240_000


def debt_cents(n: int) -> int:
    """What debtor `n` owes: R$ 2.400,00 and a few cents more for each debtor, so that no two
    of (the first 10,000) owe the same. Real debtors owe different amounts, and what is
    remembered by amount (charges, plans, formatted money) must not serve the next debtor in
    the bench when it would not in real traffic."""
    return DEBT_CENTS + n % 10_000 * 7


def cpf_for(n: int) -> str:
    """A valid, unique CPF for simulated debtor `n` (check digits computed)."""
    base = f"{100_000_000 + n * 7919 % 800_000_000:09d}"
    digits = [int(c) for c in base]
    for weight_start in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight_start, 1, -1), strict=False))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def script_for(n: int) -> list[Event]:
    return [StartRequested(None), TextReceived(cpf_for(n)), *map(TextReceived, SCRIPT_AFTER_CPF)]


def telegram_script(n: int) -> list[str]:
    """What debtor `n` types in Telegram: the same conversation as `script_for(n)`."""
    return ["/start", cpf_for(n), *SCRIPT_AFTER_CPF]


async def seed_debtors(db: Database, count: int, progress: Callable[[int], None]) -> None:
    """Bulk-insert debtors 0…`count - 1`, one debt of `debt_cents(n)` each, through the
    importer."""
    numbers = range(count)
    debtors = [
        ImportedDebtor(
            external_id=f"B{n:07d}",
            name=f"Pessoa Teste {n}",
            cpf=cpf_for(n),
            birth_date=date(1980, 1, 1) + timedelta(days=n % 9000),
            email=None,
            phone=None,
            state="SP",
        )
        for n in numbers
    ]
    debts = [
        ImportedDebt(
            f"B{n:07d}", f"C{n:07d}", 'Notebook 15"', debt_cents(n), date(2026, 9, 5), None
        )
        for n in numbers
    ]
    async with db.transaction() as tx:
        await upsert_imported_debts(
            tx.connection, debtors, debts, now=BENCH_NOW, on_progress=progress
        )


class InMemoryDebtor:
    """Debtor `n`'s conversation through the pure dialog and rendering: no storage, no I/O."""

    def __init__(self, n: int, policy: Policy) -> None:
        self._policy = policy
        self._snapshot = DebtorSnapshot(
            debtor_id=n + 1,
            name=f"Pessoa Teste {n}",
            cpf=cpf_for(n),
            birth_date=date(1980, 1, 1) + timedelta(days=n % 9000),
            state="SP",
            debts=(
                DebtSnapshot(n + 1, f"C{n:07d}", 'Notebook 15"', date(2026, 9, 5), debt_cents(n)),
            ),
        )
        self._state: State = State.NEW
        self._context: Context = initial_context("pt_BR")

    def answer(self, event: Event) -> list[OutboundMessage]:
        """The replies to `event`, the debtor looked up as the service would."""
        replies: list[OutboundMessage] = []
        pending = [event]
        while pending:
            transition = step(self._state, self._context, pending.pop(), self._policy, BENCH_NOW)
            self._state, self._context = transition.state, transition.context
            for action in transition.actions:
                if isinstance(action, Reply):
                    replies.append(render_reply(action, self._context.locale))
                elif isinstance(action, LookupDebtor):
                    pending.append(DebtorLookedUp(self._snapshot))
        return replies
