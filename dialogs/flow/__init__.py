"""The collection flow: events in, actions out, state as data."""
