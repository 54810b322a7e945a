"""Sub-commands of `quita`, one module each."""
