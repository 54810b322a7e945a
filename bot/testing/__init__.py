"""Loopback stand-ins for external platforms, shared by the tests and `quita bench`."""
