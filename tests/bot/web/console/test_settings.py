"""Admins edit the creditor policy in the console: checked, saved atomically, applied at once."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.settings import DEFAULT_POLICY
from bot.web.console import attach_console
from tests.bot.web.console.support import ConsoleClient, make_agent
from tests.support.harness import RunningQuita, WebchatClient, running_quita

EXAMPLE = DEFAULT_POLICY.read_text(encoding="utf-8")
FEWER_PLANS = EXAMPLE.replace("\nmax_installments = 12\n", "\nmax_installments = 4\n", 1).replace(
    "plan_counts_shown = [2, 3, 6, 12]", "plan_counts_shown = [2, 4]"
)
ILLEGAL_LATE_FEE = EXAMPLE.replace("late_fee_percent = 2", "late_fee_percent = 3")


def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return path


def quita_with(database_url: str, path: Path) -> AbstractAsyncContextManager[RunningQuita]:
    return running_quita(
        database_url, settings={"quita_policy_file": str(path)}, attach=[attach_console]
    )


async def plans_offered(q: RunningQuita) -> list[str]:
    """What a new debtor sees as installment buttons, start to finish in the web chat."""
    async with WebchatClient(q.base_url) as chat:
        await chat.hello()
        await chat.wait_for_text("CPF")
        await chat.say("529.982.247-25")
        await chat.wait_for(lambda c: "installments" in c.last_buttons)
        await chat.press("installments")
        await chat.wait_for(lambda c: any(b.startswith("plan:") for b in c.last_buttons))
        return [b for b in chat.last_buttons if b.startswith("plan:") and b != "plan:other"]


async def save(admin: ConsoleClient, text: str, *, csrf: bool = True) -> tuple[int, str]:
    page = await admin.text("/console/settings")
    digest = page.split('name="digest" value="', 1)[1].split('"', 1)[0]
    response = await admin.post(
        "/console/settings/policy", {"policy": text, "digest": digest}, csrf=csrf
    )
    return response.status, await response.text()


async def test_admin_saves_a_policy_and_the_next_conversation_follows_it(
    database_url: str, tmp_path: Path
) -> None:
    path = policy_file(tmp_path)
    async with quita_with(database_url, path) as q:
        assert await plans_offered(q) == ["plan:2", "plan:3", "plan:6", "plan:12"]
        await make_agent(q, "root@example.com", "Rita", role="admin")
        async with ConsoleClient(q.base_url) as admin:
            await admin.login("root@example.com")
            status, _ = await save(admin, FEWER_PLANS)
            assert status == 303
            page = await admin.text("/console/settings?saved=1")
            assert "Política salva e aplicada" in page
            assert "até 4x" in page
        assert await plans_offered(q) == ["plan:2", "plan:4"]
        async with q.quita.db.transaction(write=False) as tx:
            entries = [e for e in await tx.audit.recent(limit=20) if e.action == "settings.policy"]
    assert path.read_text(encoding="utf-8") == FEWER_PLANS
    assert path.with_name("policy.toml.bak").read_text(encoding="utf-8") == EXAMPLE
    assert [e.detail for e in entries] == [
        {"changed": ["offers.max_installments", "offers.plan_counts_shown"]}
    ]


async def test_a_late_fee_above_the_cdc_cap_is_refused_with_the_key_and_nothing_saved(
    database_url: str, tmp_path: Path
) -> None:
    path = policy_file(tmp_path)
    async with quita_with(database_url, path) as q:
        await make_agent(q, "root@example.com", "Rita", role="admin")
        async with ConsoleClient(q.base_url) as admin:
            await admin.login("root@example.com")
            status, page = await save(admin, ILLEGAL_LATE_FEE)
        assert await plans_offered(q) == ["plan:2", "plan:3", "plan:6", "plan:12"]
    assert status == 400
    assert "Nada foi salvo" in page
    assert "charges.late_fee_percent: 3 is above the 2% CDC art. 52 §1 limit" in page
    assert "late_fee_percent = 3" in page  # the admin's draft stays in the form to fix
    assert path.read_text(encoding="utf-8") == EXAMPLE
    assert not path.with_name("policy.toml.bak").exists()


async def test_a_supervisor_may_not_open_or_save_the_settings(
    database_url: str, tmp_path: Path
) -> None:
    path = policy_file(tmp_path)
    async with quita_with(database_url, path) as q:
        await make_agent(q, "sol@example.com", "Sol", role="supervisor")
        async with ConsoleClient(q.base_url) as supervisor:
            await supervisor.login("sol@example.com")
            page = await supervisor.get("/console/settings")
            saved = await supervisor.post(
                "/console/settings/policy", {"policy": FEWER_PLANS, "digest": ""}
            )
    assert (page.status, saved.status) == (403, 403)
    assert path.read_text(encoding="utf-8") == EXAMPLE


async def test_saving_without_the_csrf_token_is_refused(database_url: str, tmp_path: Path) -> None:
    path = policy_file(tmp_path)
    async with quita_with(database_url, path) as q:
        await make_agent(q, "root@example.com", "Rita", role="admin")
        async with ConsoleClient(q.base_url) as admin:
            await admin.login("root@example.com")
            status, _ = await save(admin, FEWER_PLANS, csrf=False)
    assert status == 403
    assert path.read_text(encoding="utf-8") == EXAMPLE


async def test_a_file_changed_on_disk_meanwhile_is_not_overwritten(
    database_url: str, tmp_path: Path
) -> None:
    path = policy_file(tmp_path)
    async with quita_with(database_url, path) as q:
        await make_agent(q, "root@example.com", "Rita", role="admin")
        async with ConsoleClient(q.base_url) as admin:
            await admin.login("root@example.com")
            page = await admin.text("/console/settings")
            digest = page.split('name="digest" value="', 1)[1].split('"', 1)[0]
            operator_edit = EXAMPLE + "\n# edited by the operator\n"
            path.write_text(operator_edit, encoding="utf-8")
            response = await admin.post(
                "/console/settings/policy", {"policy": FEWER_PLANS, "digest": digest}
            )
            assert response.status == 400
            assert "mudou desde que você abriu" in await response.text()
    assert path.read_text(encoding="utf-8") == operator_edit


async def test_the_bundled_example_policy_is_shown_read_only(database_url: str) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "root@example.com", "Rita", role="admin")
        async with ConsoleClient(q.base_url) as admin:
            await admin.login("root@example.com")
            page = await admin.text("/console/settings")
            refused = await admin.post("/console/settings/policy", {"policy": FEWER_PLANS})
    assert 'name="policy"' not in page
    assert refused.status == 409
    assert DEFAULT_POLICY.read_text(encoding="utf-8") == EXAMPLE
