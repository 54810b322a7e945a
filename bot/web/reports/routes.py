"""/console/reports: the period dashboard, CSV/JSON exports and the debtor priority list.

Pages are rendered on the server (Jinja2 with our own loader, so the console's template
set-up is untouched) with SVG charts: they read fine without JavaScript.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import jinja2
from aiohttp import web
from babel.numbers import format_currency, format_decimal

from bot.app import Quita
from bot.reports.build import Report, build_report
from bot.reports.charts import Bar, bar_chart, column_chart
from bot.reports.export import report_json, table_csv
from bot.reports.ranking import debtors_by_priority
from bot.reports.tables import report_tables
from bot.web.reports.access import share_console_auth, supervisors_only
from storage.reports import RankingFilters

QUITA_KEY = web.AppKey("reports_quita", Quita)
DEFAULT_DAYS = 30
MAX_DAYS = 366
LOCALE = "pt_BR"
STAGE_LABELS = {
    "contacted": "Contatados",
    "engaged": "Responderam",
    "verified": "Verificados",
    "offered": "Receberam oferta",
    "agreed": "Fizeram acordo",
    "paid": "Pagaram",
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def brl(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "BRL", locale=LOCALE)


def number(value: int | Decimal) -> str:
    return format_decimal(value, locale=LOCALE)


_templates.filters["brl"] = brl
_templates.filters["number"] = number


def _date(request: web.Request, name: str, default: date) -> date:
    raw = request.query.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name}: use a date such as 2026-11-25") from None


def _period(request: web.Request, today: date) -> tuple[date, date]:
    end = _date(request, "to", today)
    start = _date(request, "from", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise web.HTTPBadRequest(text="from is after to")
    if (end - start).days >= MAX_DAYS:
        raise web.HTTPBadRequest(text=f"at most {MAX_DAYS} days per report")
    return start, end


async def _report(request: web.Request) -> Report:
    quita = request.config_dict[QUITA_KEY]
    today = quita.clock.now().astimezone(quita.policy.contact.zone).date()
    start, end = _period(request, today)
    return await build_report(quita.db, quita.policy, start, end, today)


def funnel_chart(report: Report) -> str:
    return bar_chart(
        "funnel-chart",
        "Funil do período",
        [Bar(STAGE_LABELS[name], count, number(count)) for name, count in report.funnel.stages()],
    )


def recovered_chart(report: Report) -> str:
    return column_chart(
        "recovered-chart",
        "Valor recuperado por dia",
        [Bar(d.day.strftime("%d/%m"), d.cents, brl(d.cents)) for d in report.recovered_by_day],
    )


@supervisors_only
async def dashboard(request: web.Request) -> web.StreamResponse:
    report = await _report(request)
    html = _templates.get_template("dashboard.html").render(
        report=report,
        stage_labels=STAGE_LABELS,
        funnel_svg=funnel_chart(report),
        recovered_svg=recovered_chart(report),
        tables=report_tables(report),
        query=f"from={report.period.start}&to={report.period.end}",
    )
    return web.Response(text=html, content_type="text/html")


@supervisors_only
async def export_table(request: web.Request) -> web.StreamResponse:
    report = await _report(request)
    name = request.match_info["table"]
    tables = report_tables(report)
    if name not in tables:
        raise web.HTTPNotFound(text=f"no table {name!r}; one of {', '.join(tables)}")
    decimal_comma = request.query.get("decimal") == "comma"
    filename = f"quita-{name}-{report.period.start}-{report.period.end}.csv"
    return web.Response(
        text=table_csv(tables[name], decimal_comma=decimal_comma),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@supervisors_only
async def export_json(request: web.Request) -> web.StreamResponse:
    report = await _report(request)
    return web.Response(text=report_json(report), content_type="application/json")


def _int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise web.HTTPBadRequest(text=f"{name}: a whole number of days")
    return int(raw)


@supervisors_only
async def debtors(request: web.Request) -> web.StreamResponse:
    quita = request.config_dict[QUITA_KEY]
    today = quita.clock.now().astimezone(quita.policy.contact.zone).date()
    filters = RankingFilters(
        status=request.query.get("status") or None,
        min_days_late=_int(request, "min_days"),
        max_days_late=_int(request, "max_days"),
        state=request.query.get("state") or None,
        channel=request.query.get("channel") or None,
    )
    page = max(_int(request, "page") or 1, 1)
    ranked = await debtors_by_priority(
        quita.db, quita.policy, today, filters, limit=50, offset=(page - 1) * 50
    )
    html = _templates.get_template("debtors.html").render(ranked=ranked, filters=filters, page=page)
    return web.Response(text=html, content_type="text/html")


def report_routes() -> list[web.RouteDef]:
    return [
        web.get("/console/reports", dashboard),
        web.get("/console/reports/export/report.json", export_json),
        web.get("/console/reports/export/{table}.csv", export_table),
        web.get("/console/reports/debtors", debtors),
    ]


def attach_reports(quita: Quita) -> None:
    """Serve the report pages and refresh the report summaries in the background."""
    from bot.reports.worker import summary_refresher

    quita.web_app[QUITA_KEY] = quita
    share_console_auth(quita.web_app)
    quita.web_app.add_routes(report_routes())
    quita.background.append(summary_refresher(quita))
