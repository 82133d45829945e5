"""Layer 4, epoch machinery: leaf placement, the sparse tree, the SQLite store, the resumable
builder, worker pools, and the auditor's streaming walk.

Imports the layers below it (``crypto``, ``files``, ``circuits``); never the CLI.
"""
