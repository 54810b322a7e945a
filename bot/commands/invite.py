"""`quita invite [--debtor ID] [--out links.csv] [--ttl-days N]`: deep links for onboarding.

A Telegram bot cannot write first, so the creditor sends each debtor a link (SMS, e-mail, the
boleto) that opens the chat already tied to their account. Each link carries a single-use,
expiring token; only its hash is stored (see `bot.invites`). The CSV holds the links, so treat
it like the debtor list it came from.
"""

from __future__ import annotations

import asyncio
import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import click
from sqlalchemy import func, select

from bot.cli_support import REFUSED_EXIT, TerminalProgress, settings_or_exit
from bot.invites import DEFAULT_TTL, create_invite, telegram_link, webchat_link
from bot.settings import Settings
from storage import Database, DebtorRow, UnitOfWork, tables

__all__ = [
    "CSV_HEADER",
    "InviteLink",
    "UnknownDebtorError",
    "fetch_bot_username",
    "invite_command",
    "issue_invites",
    "write_links",
]

PAGE_SIZE = 500
CSV_HEADER = ("external_id", "name", "telegram_link", "webchat_link", "expires_at")


@dataclass(frozen=True, slots=True)
class InviteLink:
    """One debtor's links; `telegram` is None when no bot is configured."""

    external_id: str
    name: str
    telegram: str | None
    webchat: str
    expires_at: datetime


class UnknownDebtorError(LookupError):
    """`--debtor` named an external id that is not in the database."""


async def fetch_bot_username(token: str, base_url: str) -> str:
    """The bot's @username, asked of the Bot API (`getMe`), so links always match the token."""
    from telegram import Bot

    from bot.channels.telegram.channel import file_url_for  # also sets PTB's options

    async with Bot(token, base_url=base_url, base_file_url=file_url_for(base_url)) as api:
        return str(api.username)


async def issue_invites(
    db: Database,
    *,
    now: datetime,
    public_url: str,
    bot_username: str | None,
    ttl: timedelta = DEFAULT_TTL,
    external_ids: Sequence[str] = (),
    on_total: Callable[[int], None] = lambda _total: None,
    on_progress: Callable[[int], None] = lambda _done: None,
) -> list[InviteLink]:
    """A fresh token per debtor (all of them, or those in `external_ids`), in id order.

    Every page is its own transaction, so a huge portfolio never holds one long write lock.
    `on_progress` gets the number of debtors done so far.
    """
    if external_ids:
        async with db.transaction() as tx:
            debtors = await _named_debtors(tx, external_ids)
            on_total(len(debtors))
            links = [await _invite(tx, d, now, ttl, public_url, bot_username) for d in debtors]
        on_progress(len(links))
        return links
    async with db.transaction(write=False) as tx:
        on_total(await _count_debtors(tx))
    links = []
    after_id = 0
    while True:
        async with db.transaction() as tx:
            page = await tx.debtors.list_page(after_id=after_id, limit=PAGE_SIZE)
            for debtor in page:
                links.append(await _invite(tx, debtor, now, ttl, public_url, bot_username))
        if not page:
            return links
        after_id = page[-1].id
        on_progress(len(links))


async def _named_debtors(tx: UnitOfWork, external_ids: Sequence[str]) -> list[DebtorRow]:
    debtors = []
    for external_id in dict.fromkeys(external_ids):
        debtor = await tx.debtors.by_external_id(external_id)
        if debtor is None:
            raise UnknownDebtorError(f"no debtor with external id {external_id!r}")
        debtors.append(debtor)
    return debtors


async def _count_debtors(tx: UnitOfWork) -> int:
    debtor = tables.debtor
    stmt = select(func.count()).select_from(debtor).where(debtor.c.erased_at.is_(None))
    return int((await tx.connection.execute(stmt)).scalar_one())


async def _invite(
    tx: UnitOfWork,
    debtor: DebtorRow,
    now: datetime,
    ttl: timedelta,
    public_url: str,
    bot_username: str | None,
) -> InviteLink:
    token = await create_invite(tx, debtor.id, now, ttl)
    return InviteLink(
        external_id=debtor.external_id,
        name=debtor.name,
        telegram=telegram_link(bot_username, token) if bot_username else None,
        webchat=webchat_link(public_url, token),
        expires_at=now + ttl,
    )


def write_links(links: Sequence[InviteLink], stream: IO[str], zone: ZoneInfo) -> None:
    """The CSV the creditor merges into SMS, e-mail or boleto; expiry in the business zone."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for link in links:
        writer.writerow(
            (
                link.external_id,
                link.name,
                link.telegram or "",
                link.webchat,
                link.expires_at.astimezone(zone).isoformat(timespec="minutes"),
            )
        )


async def _run(
    settings: Settings, external_ids: Sequence[str], ttl: timedelta, progress: TerminalProgress
) -> tuple[list[InviteLink], str | None]:
    username = None
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if token:  # an empty `TELEGRAM_BOT_TOKEN=` in .env means "no Telegram"
        username = await fetch_bot_username(token, str(settings.telegram_api_base_url))
    db = Database(settings.quita_database_url)
    try:
        links = await issue_invites(
            db,
            now=datetime.now(settings.zone),
            public_url=settings.public_url,
            bot_username=username,
            ttl=ttl,
            external_ids=external_ids,
            on_total=progress.start,
            on_progress=progress.update,
        )
    finally:
        progress.finish()
        await db.dispose()
    return links, username


@click.command("invite")
@click.option(
    "--debtor",
    "external_ids",
    multiple=True,
    metavar="ID",
    help="Only this debtor (external id from the import); repeat for several. Default: all.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="links.csv",
    help="Write the CSV here (default: standard output).",
)
@click.option(
    "--ttl-days",
    type=click.IntRange(1, 365),
    default=DEFAULT_TTL.days,
    show_default=True,
    help="Days each link stays valid.",
)
def invite_command(external_ids: tuple[str, ...], out: Path | None, ttl_days: int) -> None:
    """Create single-use invite links (Telegram deep link and web chat) per debtor as CSV."""
    settings = settings_or_exit()
    progress = TerminalProgress("Creating invites", min_total=PAGE_SIZE + 1)
    from telegram.error import InvalidToken, TelegramError

    try:
        links, username = asyncio.run(
            _run(settings, external_ids, timedelta(days=ttl_days), progress)
        )
    except UnknownDebtorError as error:
        click.echo(f"error: {error}; nothing was created", err=True)
        sys.exit(REFUSED_EXIT)
    except TelegramError as error:
        # PTB's InvalidToken message quotes the token itself: never echo it.
        reason = "the token was rejected" if isinstance(error, InvalidToken) else error.message
        click.echo(
            f"error: cannot ask Telegram for the bot's username ({reason}); "
            "check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL. Nothing was created.",
            err=True,
        )
        sys.exit(REFUSED_EXIT)
    if out is None:
        write_links(links, sys.stdout, settings.zone)
    else:
        with out.open("w", encoding="utf-8", newline="") as stream:
            write_links(links, stream, settings.zone)
    if username is None:
        click.echo(
            "note: TELEGRAM_BOT_TOKEN is not set, so only web chat links were created "
            "(the telegram_link column is empty).",
            err=True,
        )
    if settings.quita_public_url is None:
        click.echo(
            f"note: QUITA_PUBLIC_URL is not set; web chat links point at {settings.public_url}.",
            err=True,
        )
    where = f" to {out}" if out is not None else ""
    click.echo(
        f"created {len(links)} invite(s), valid for {ttl_days} day(s){where}", err=out is None
    )
