"""Fixtures for the negotiation tests."""

from __future__ import annotations

import pytest

from dialogs.negotiation.policy import Policy, default_policy


@pytest.fixture
def policy() -> Policy:
    """The policy of policy.example.toml (the defaults)."""
    return default_policy()
