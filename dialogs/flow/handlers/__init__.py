"""Transition handlers, grouped by the part of the conversation they serve."""
