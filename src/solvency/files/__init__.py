"""Layer 2, files: the ledger and asset config an exchange feeds in, the versioned files users
and auditors exchange (``formats`` and their JSON Schemas), and the Ed25519 signing keys.

Imports ``solvency.crypto`` and ``solvency.errors``; never the epoch machinery or the CLI.
"""
