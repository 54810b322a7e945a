"""Tests for dialogs.negotiation: policy, charges, offers and the policy check command."""
