"""solvency: zero-knowledge proofs of solvency (proofs of liabilities) for crypto exchanges."""

__version__ = "0.1.0"
