"""The console's pages and form posts (aiohttp + Jinja2, autoescaped).

Forms post and redirect back (303), so the console works without JavaScript; `console.js`
only adds live refresh, notifications and small conveniences.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web
from babel.numbers import format_decimal

from bot.web.console.accounts import LoginOutcome, add_agent, authenticate, email_taken
from bot.web.console.actions import ActionRefusedError
from bot.web.console.chat import brl, load_chat, mask_documents
from bot.web.console.guard import console_of, requires, session_of
from bot.web.console.i18n import N_, Text, render, translate, translations_for
from bot.web.console.i18n import locale_for_request as locale_for
from bot.web.console.passwords import MIN_LENGTH
from bot.web.console.policy_file import (
    PolicyChangedError,
    PolicyFileError,
    PolicyText,
    changed_keys,
    read_policy_text,
    save_policy,
)
from bot.web.console.queue import counts_per_reason, load_queue
from bot.web.console.roles import Role, at_least
from bot.web.console.sessions import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    close_session,
    load_session,
    new_login_csrf,
    open_session,
    set_session_cookie,
    tokens_match,
)
from dialogs.money import to_cents
from storage import Database
from storage.enums import AgentRole
from storage.repositories.canned import SqlCannedResponses

MAX_FIELD = 4096


# ------------------------------------------------------------------------------------ login


async def login_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    if await load_session(console.db, request, console.clock.now()) is not None:
        raise web.HTTPSeeOther("/console")
    return _login(request, error="", status=200)


def _login(request: web.Request, *, error: str, status: int) -> web.StreamResponse:
    """The login page; `error` is a catalog msgid ("" for none)."""
    token = new_login_csrf()
    context = {"csrf": token, "error": translate(request, error) if error else ""}
    response = render("console/login.html", request, context, status=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=console_of(request).secure_cookies,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), _field(form, CSRF_FIELD)):
        raise web.HTTPForbidden(text="missing or wrong CSRF token")
    result = await authenticate(
        console.db, _field(form, "email"), _field(form, "password"), console.clock.now()
    )
    if result.outcome is LoginOutcome.LOCKED:
        return _login(
            request,
            error=N_("Too many wrong attempts. For safety, try again in a few minutes."),
            status=429,
        )
    if result.agent is None:
        return _login(request, error=N_("Wrong e-mail or password."), status=401)
    token, _ = await open_session(console.db, result.agent.id, console.clock.now())
    response = web.HTTPSeeOther("/console")
    set_session_cookie(response, token, secure=console.secure_cookies)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/console")
    raise response


@requires(Role.AGENT)
async def logout(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    await close_session(console.db, session)
    async with console.db.transaction() as tx:
        await tx.audit.record(session.actor, "logout", now=console.clock.now())
    response = web.HTTPSeeOther("/console/login")
    clear_session_cookie(response)
    raise response


# ------------------------------------------------------------------------------------ pages


async def _page(
    request: web.Request,
    conversation_id: int | None,
    *,
    notice: str = "",
    status: int = 200,
) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    now = console.clock.now()
    async with console.db.transaction(write=False) as tx:
        queue = await load_queue(tx, console.policy, now)
        chat = None
        if conversation_id is not None:
            chat = await load_chat(tx, conversation_id, session, console.policy, now)
            if chat is None:
                raise web.HTTPNotFound(text="conversation not found")
        canned = await SqlCannedResponses(tx.connection, tx.dialect).list_all()
        agents = await tx.agents.list_all() if at_least(session.agent.role, Role.SUPERVISOR) else []
    context = _base(request) | {
        "queue": queue,
        "counts": counts_per_reason(queue, translations_for(request).gettext),
        "chat": chat,
        "canned": canned,
        "agents": [a for a in agents if a.active],
        "notice": notice,
        "channels": console.policy.channels.payment,
        "agent_limits": console.policy.agent,
    }
    return render("console/inbox.html", request, context, status=status)


@requires(Role.AGENT)
async def inbox(request: web.Request) -> web.StreamResponse:
    return await _page(request, None)


@requires(Role.AGENT)
async def chat_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, _int(request.match_info["cid"]))


@requires(Role.AGENT)
async def queue_fragment(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    async with console.db.transaction(write=False) as tx:
        queue = await load_queue(tx, console.policy, console.clock.now())
    counts = counts_per_reason(queue, translations_for(request).gettext)
    context = _base(request) | {"queue": queue, "counts": counts}
    return render("console/_queue.html", request, context)


@requires(Role.AGENT)
async def chat_fragment(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    async with console.db.transaction(write=False) as tx:
        chat = await load_chat(
            tx, _int(request.match_info["cid"]), session, console.policy, console.clock.now()
        )
    if chat is None:
        raise web.HTTPNotFound(text="conversation not found")
    return render("console/_transcript.html", request, _base(request) | {"chat": chat})


# ---------------------------------------------------------------------------------- actions


@requires(Role.AGENT)
async def claim(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    try:
        conversation_id = await console.claim(session, _int(request.match_info["eid"]))
    except ActionRefusedError as refused:
        return await _page(request, None, notice=translate(request, refused.text), status=409)
    raise web.HTTPSeeOther(f"/console/c/{conversation_id}")


async def _chat_action(request: web.Request, form: Any, kind: str) -> None:
    console, session = console_of(request), session_of(request)
    cid = _int(request.match_info["cid"])
    if kind == "reply":
        template = _field(form, "template")
        if template:
            await _send_template(request, cid, template)
        else:
            await console.reply(session, cid, _field(form, "text"))
    elif kind == "plan":
        channel = _field(form, "channel") or None
        due = _date(_field(form, "first_due")) if _field(form, "first_due") else None
        await console.propose_plan(
            session,
            cid,
            _int(_field(form, "count")),
            _decimal(_field(form, "discount") or "0"),
            channel,
            due,
        )
    elif kind == "promise":
        amount = _field(form, "amount")
        cents = int(to_cents(_decimal(amount))) if amount else None
        await console.promise(session, cid, _date(_field(form, "due")), cents)
    elif kind == "debt":
        await console.mark_debt(
            session,
            cid,
            _int(request.match_info["did"]),
            _field(form, "status"),
            _field(form, "note"),
        )
    elif kind == "handback":
        await console.hand_back(session, cid, _field(form, "resume_at"))
    elif kind == "close":
        await console.close(session, cid)
    elif kind == "reassign":
        if not at_least(session.agent.role, Role.SUPERVISOR):
            raise web.HTTPForbidden(text="not allowed for your role")
        await console.reassign(session, cid, _int(_field(form, "agent_id")))


async def _send_template(request: web.Request, cid: int, key: str) -> None:
    from dialogs.flow.events import AgentSays

    console, session = console_of(request), session_of(request)
    template = console.policy.template(key)
    if template is None:
        raise ActionRefusedError("Unknown template.")
    async with console.db.transaction(write=False) as tx:
        chat = await load_chat(tx, cid, session, console.policy, console.clock.now())
    if chat is None or not chat.can_act:
        raise ActionRefusedError("Take the chat before acting on it.")
    values = {
        "name": chat.debtor_name.split()[0].title() if chat.debtor_name else "",
        "creditor": console.policy.creditor.name,
    }
    if not set(template.params) <= set(values):
        raise ActionRefusedError("This template needs data the console does not fill in.")
    params = tuple(values[name] for name in template.params)
    conv = await console.owned(session, cid, "template", {"template": key})
    await console.handle_event(
        conv, AgentSays(f"[modelo {template.name}]", session.agent.name, key, params)
    )


def chat_action(kind: str) -> Any:
    @requires(Role.AGENT)
    async def handler(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        cid = _int(request.match_info["cid"])
        try:
            await _chat_action(request, form, kind)
        except ActionRefusedError as refused:
            notice = translate(request, refused.text)
            return await _page(request, cid, notice=notice, status=409)
        raise web.HTTPSeeOther(f"/console/c/{cid}")

    handler.__name__ = f"chat_{kind}"
    return handler


# ---------------------------------------------------------------- supervisors and admins


@requires(Role.SUPERVISOR)
async def agents_page(request: web.Request) -> web.StreamResponse:
    return await _agents(request, notice="")


async def _agents(request: web.Request, *, notice: str, status: int = 200) -> web.StreamResponse:
    console = console_of(request)
    async with console.db.transaction(write=False) as tx:
        agents = await tx.agents.list_all()
    context = _base(request) | {"agents": agents, "notice": notice, "min_password": MIN_LENGTH}
    return render("console/agents.html", request, context, status=status)


@requires(Role.SUPERVISOR)
async def agents_add(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    form = await request.post()
    role = _field(form, "role") or AgentRole.AGENT.value
    if role == AgentRole.ADMIN.value and not at_least(session.agent.role, Role.ADMIN):
        raise web.HTTPForbidden(text="only admins create admins")
    if role not in {r.value for r in AgentRole}:
        raise web.HTTPBadRequest(text="unknown role")
    now = console.clock.now()
    refusal = await _new_agent_refusal(console.db, _field(form, "email"), _field(form, "password"))
    if refusal:
        return await _agents(request, notice=translate(request, refusal), status=400)
    try:
        agent_id = await add_agent(
            console.db,
            _field(form, "email"),
            _field(form, "name"),
            role,
            _field(form, "password"),
            now=now,
        )
    except ValueError:  # the same e-mail created meanwhile
        notice = translate(request, N_("An agent with this e-mail already exists."))
        return await _agents(request, notice=notice, status=400)
    async with console.db.transaction() as tx:
        await tx.audit.record(session.actor, "agent.add", f"agent:{agent_id}", {"role": role})
    raise web.HTTPSeeOther("/console/agents")


async def _new_agent_refusal(db: Database, email: str, password: str) -> Text | None:
    """Why the supervisor's new account cannot be created, in words for the page."""
    if len(password) < MIN_LENGTH:
        return Text(
            "The initial password needs at least %(count)s characters.", {"count": MIN_LENGTH}
        )
    if await email_taken(db, email):
        return Text("An agent with this e-mail already exists.")
    return None


@requires(Role.SUPERVISOR)
async def agents_active(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    form = await request.post()
    agent_id = _int(request.match_info["aid"])
    active = _field(form, "active") == "1"
    async with console.db.transaction() as tx:
        target = await tx.agents.get(agent_id)
        if target is None:
            raise web.HTTPNotFound(text="agent not found")
        if target.role == AgentRole.ADMIN.value and not at_least(session.agent.role, Role.ADMIN):
            raise web.HTTPForbidden(text="only admins change admins")
        await tx.agents.update(agent_id, active=active)
        if not active:
            await tx.sessions.delete_for_agent(agent_id)
        await tx.audit.record(
            session.actor, "agent.active", f"agent:{agent_id}", {"active": active}
        )
    raise web.HTTPSeeOther("/console/agents")


@requires(Role.SUPERVISOR)
async def canned_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    async with console.db.transaction(write=False) as tx:
        canned = await SqlCannedResponses(tx.connection, tx.dialect).list_all()
    context = _base(request) | {"canned": canned}
    return render("console/canned.html", request, context)


@requires(Role.SUPERVISOR)
async def canned_save(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    form = await request.post()
    title, text = _field(form, "title").strip()[:80], _field(form, "text").strip()
    if not title or not text:
        raise web.HTTPBadRequest(text="title and text are required")
    response_id = _field(form, "id")
    now = console.clock.now()
    async with console.db.transaction() as tx:
        canned = SqlCannedResponses(tx.connection, tx.dialect)
        if response_id:
            await canned.change(_int(response_id), title, text, session.agent.id, now=now)
            target = f"canned:{response_id}"
        else:
            target = f"canned:{await canned.add(title, text, session.agent.id, now=now)}"
        await tx.audit.record(session.actor, "canned.save", target, now=now)
    raise web.HTTPSeeOther("/console/canned")


@requires(Role.SUPERVISOR)
async def canned_delete(request: web.Request) -> web.StreamResponse:
    console, session = console_of(request), session_of(request)
    response_id = _int(request.match_info["rid"])
    async with console.db.transaction() as tx:
        await SqlCannedResponses(tx.connection, tx.dialect).remove(response_id)
        await tx.audit.record(session.actor, "canned.delete", f"canned:{response_id}")
    raise web.HTTPSeeOther("/console/canned")


@requires(Role.ADMIN)
async def settings_page(request: web.Request) -> web.StreamResponse:
    return await _settings(request, saved=request.query.get("saved") == "1")


async def _settings(
    request: web.Request,
    *,
    saved: bool = False,
    draft: str | None = None,
    problems: list[str] | None = None,
    stale: bool = False,
    status: int = 200,
) -> web.StreamResponse:
    console = console_of(request)
    async with console.db.transaction(write=False) as tx:
        audit = await tx.audit.recent(limit=50)
    current: PolicyText | None = None
    unreadable = False
    if console.policy_file is not None:
        try:
            current = await asyncio.to_thread(read_policy_text, console.policy_file)
        except (OSError, UnicodeDecodeError):
            unreadable = True
    context = _base(request) | {
        "policy": console.policy,
        "audit": audit,
        "editable": current is not None,
        "unreadable": unreadable,
        "policy_text": draft if draft is not None else (current.text if current else ""),
        "policy_digest": current.digest if current else "",
        "problems": problems or [],
        "stale": stale,
        "saved": saved,
    }
    return render("console/settings.html", request, context, status=status)


@requires(Role.ADMIN)
async def settings_policy_save(request: web.Request) -> web.StreamResponse:
    """Validate, write atomically (keeping `.bak`), apply at once, audit the changed keys."""
    console, session = console_of(request), session_of(request)
    if console.policy_file is None or console.apply_policy is None:
        raise web.HTTPConflict(text="the policy file cannot be edited here")
    form = await request.post()
    raw = form.get("policy")
    text = raw.replace("\r\n", "\n") if isinstance(raw, str) else ""
    async with console.policy_lock:
        before = console.policy
        try:
            policy = await save_policy(console.policy_file, text, _field(form, "digest"))
        except PolicyChangedError:
            return await _settings(request, draft=text, stale=True, status=400)
        except PolicyFileError as refused:
            return await _settings(request, draft=text, problems=refused.problems, status=400)
        console.apply_policy(policy)
        now = console.clock.now()
        async with console.db.transaction() as tx:
            await tx.audit.record(
                session.actor,
                "settings.policy",
                "policy",
                {"changed": changed_keys(before, policy)},
                now=now,
            )
    raise web.HTTPSeeOther("/console/settings?saved=1")


# ---------------------------------------------------------------------------------- helpers


def _base(request: web.Request) -> dict[str, Any]:
    session = session_of(request)
    return {
        "me": session.agent,
        "csrf": session.csrf_token,
        "is_supervisor": at_least(session.agent.role, Role.SUPERVISOR),
        "is_admin": at_least(session.agent.role, Role.ADMIN),
        "brl": brl,
        "mask": mask_documents,
        "number": lambda value: format_decimal(value, locale=locale_for(request)),
        "local": lambda moment: moment.astimezone(console_of(request).policy.contact.zone),
    }


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text="expected a number") from None


def _decimal(raw: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ActionRefusedError("Invalid number.") from None
    if not value.is_finite() or value < 0:
        raise ActionRefusedError("Invalid number.")
    return value


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ActionRefusedError("Invalid date.") from None


def console_routes() -> list[web.AbstractRouteDef]:
    from bot.web.console.live import console_socket

    return [
        web.get("/login", login_page),
        web.post("/login", login),
        web.post("/logout", logout),
        web.get("", inbox),
        web.get("/", inbox),
        web.get("/c/{cid:\\d+}", chat_page),
        web.get("/fragment/queue", queue_fragment),
        web.get("/fragment/c/{cid:\\d+}", chat_fragment),
        web.post("/escalations/{eid:\\d+}/claim", claim),
        web.post("/c/{cid:\\d+}/reply", chat_action("reply")),
        web.post("/c/{cid:\\d+}/plan", chat_action("plan")),
        web.post("/c/{cid:\\d+}/promise", chat_action("promise")),
        web.post("/c/{cid:\\d+}/debts/{did:\\d+}", chat_action("debt")),
        web.post("/c/{cid:\\d+}/handback", chat_action("handback")),
        web.post("/c/{cid:\\d+}/close", chat_action("close")),
        web.post("/c/{cid:\\d+}/reassign", chat_action("reassign")),
        web.get("/agents", agents_page),
        web.post("/agents", agents_add),
        web.post("/agents/{aid:\\d+}/active", agents_active),
        web.get("/canned", canned_page),
        web.post("/canned", canned_save),
        web.post("/canned/{rid:\\d+}/delete", canned_delete),
        web.get("/settings", settings_page),
        web.post("/settings/policy", settings_policy_save),
        web.get("/ws", console_socket),
    ]
