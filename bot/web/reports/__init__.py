"""The supervisors' report pages under /console/reports."""

from bot.web.reports.routes import attach_reports, report_routes

__all__ = ["attach_reports", "report_routes"]
