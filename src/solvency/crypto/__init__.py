"""Layer 1, primitives: the ristretto255 group, Keccak/STROBE/Merlin transcripts, Pedersen
commitments, the key schedule, and dalek-compatible Bulletproofs.

Imports only ``solvency.errors`` and the standard library (plus libsodium and HKDF).
"""
