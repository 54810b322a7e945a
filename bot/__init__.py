"""Quita's runtime: settings, service, workers, channels, web app and CLI."""
