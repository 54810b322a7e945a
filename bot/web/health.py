"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from aiohttp import web

from storage import Database

DB_KEY = web.AppKey("health_db", Database)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        await request.app[DB_KEY].ping()
    except Exception as error:  # any failure means "not ready"; say which kind
        return web.json_response(
            {"status": "unavailable", "database": type(error).__name__}, status=503
        )
    return web.json_response({"status": "ok", "database": "ok"})


def health_routes() -> list[web.AbstractRouteDef]:
    return [web.get("/healthz", healthz), web.get("/readyz", readyz)]
