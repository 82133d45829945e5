"""Layer 3, relations shared by the prover and the verifiers (docs/PROTOCOL.md sections 4 to 7).

Imports ``solvency.crypto`` and ``solvency.files``; never the epoch machinery or the CLI.

- ``range``: every node commitment opens to a value in [0, 2^64) (section 5);
- ``node``: leaf, internal and padding nodes are well formed (section 4);
- ``inclusion``: a user's leaf is in the tree with the signed root (section 6);
- ``liabilities``: the root opens to the totals (section 7); the walk that checks every node
  of a stored tree is ``solvency.epoch.audit``.
"""
