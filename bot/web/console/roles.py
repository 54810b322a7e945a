"""Who may do what in the console: agents work the queue and their own chats; supervisors
see everything, reassign and manage agents and canned responses; admins also see settings."""

from __future__ import annotations

import enum


class Role(enum.IntEnum):
    AGENT = 1
    SUPERVISOR = 2
    ADMIN = 3

    @classmethod
    def of(cls, name: str) -> Role:
        return cls[name.upper()]


def at_least(role_name: str, needed: Role) -> bool:
    try:
        return Role.of(role_name) >= needed
    except KeyError:
        return False


def sees_every_chat(role_name: str) -> bool:
    return at_least(role_name, Role.SUPERVISOR)
