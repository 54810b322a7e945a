"""Pure collection-dialog logic: flow, understanding, negotiation, message ids.

Nothing in this package performs I/O, reads the clock or imports from `bot` or `storage`;
the runtime passes everything in (including `now`) and carries out the returned actions.
"""
