"""Who may open the reports: logged-in supervisors (and admins), via the console's guard.

The single switch between the reports and the console's auth: when the console is attached
(before the reports) its `requires(Role.SUPERVISOR)` decides; without it nobody may see
reports. The console lives in a sub-application mounted at /console; the reports' routes
are on the main application, so its `Console` is shared with the main application here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def supervisors_only(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        from bot.web.console.guard import CONSOLE_KEY, requires
        from bot.web.console.roles import Role

        if CONSOLE_KEY not in request.config_dict:
            raise web.HTTPForbidden(text="reports need the agent console (supervisor login)")
        return await requires(Role.SUPERVISOR)(handler)(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


def share_console_auth(app: web.Application) -> None:
    """Expose the mounted console's state to the main app, so its guard works for reports."""
    from bot.web.console.guard import CONSOLE_KEY

    for resource in app.router.resources():
        sub_app = resource.get_info().get("app")
        if isinstance(sub_app, web.Application) and CONSOLE_KEY in sub_app:
            app[CONSOLE_KEY] = sub_app[CONSOLE_KEY]
            return
