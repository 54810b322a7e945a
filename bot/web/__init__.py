"""Quita's aiohttp server: web chat, webhooks, agent console, JSON API, health."""
