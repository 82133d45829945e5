// The two failure kinds of `solvency verify` (src/solvency/errors.py): a check that does not
// hold (exit 1, "FAILED: ...") and input that is not well formed (exit 2, "error: ...").
export class VerificationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'VerificationError';
  }
}

export class MalformedInputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MalformedInputError';
  }
}

/** A node's range proof does not verify; `level` and `index` name the node (circuits/range.py). */
export class NodeProofError extends VerificationError {
  constructor(message, level, index) {
    super(message);
    this.level = level;
    this.index = index;
  }
}
