"""`quita agent add EMAIL --name NAME --role agent|supervisor|admin`: console accounts.

The password comes from a hidden prompt (typed twice) or, for scripts, from standard input
with `--password-stdin`; it never appears on the command line or in shell history.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

import click

from bot.cli_support import settings_or_exit
from bot.web.console.accounts import add_agent
from storage import Database
from storage.enums import AgentRole


@click.group()
def agent_group() -> None:
    """Manage agent console accounts."""


@agent_group.command("add")
@click.argument("email")
@click.option(
    "--name", required=True, help="Name shown to colleagues (and, as the agent, to debtors)."
)
@click.option(
    "--role",
    type=click.Choice([role.value for role in AgentRole]),
    default=AgentRole.AGENT.value,
    show_default=True,
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--url", help="Database URL (default: QUITA_DATABASE_URL).")
def add_command(email: str, name: str, role: str, password_stdin: bool, url: str | None) -> None:
    """Create a console account with an argon2id-hashed password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    database_url = url or settings_or_exit().quita_database_url
    try:
        agent_id = asyncio.run(_add(database_url, email, name, role, password))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"agent {agent_id} created ({role})")


async def _add(database_url: str, email: str, name: str, role: str, password: str) -> int:
    db = Database(database_url)
    try:
        return await add_agent(db, email, name, role, password, now=datetime.now(UTC))
    finally:
        await db.dispose()
