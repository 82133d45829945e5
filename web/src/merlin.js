// Merlin transcripts (merlin.cool, v1.0): Fiat-Shamir over STROBE-128.
//
//     new(label):                meta-AD("Merlin v1.0") at init; append_message("dom-sep", label)
//     append_message(label, m):  meta-AD(label); meta-AD(LE32(|m|), more); AD(m)
//     challenge_bytes(label, n): meta-AD(label); meta-AD(LE32(n), more); PRF(n)
//
// challenge_scalar is dalek's challenge_bytes(label, 64) read little-endian and reduced mod l.
import { bytesToBigLE, le32, le64, utf8 } from './bytes.js';
import { Strobe128 } from './strobe.js';
import { L } from './group.js';

// The state after STROBE's initialisation with Merlin's protocol label, shared by all.
let merlinInit = null;

const asBytes = (x) => (typeof x === 'string' ? utf8(x) : x);

export class Transcript {
  constructor(label) {
    if (merlinInit === null) merlinInit = new Strobe128(utf8('Merlin v1.0'));
    this.strobe = merlinInit.clone();
    this.appendMessage('dom-sep', label);
  }

  appendMessage(label, message) {
    const m = asBytes(message);
    this.strobe.metaAd(asBytes(label), false);
    this.strobe.metaAd(le32(m.length), true);
    this.strobe.ad(m, false);
  }

  appendU64(label, x) {
    this.appendMessage(label, le64(x));
  }

  challengeBytes(label, length) {
    this.strobe.metaAd(asBytes(label), false);
    this.strobe.metaAd(le32(length), true);
    return this.strobe.prf(length, false);
  }

  challengeScalar(label) {
    return bytesToBigLE(this.challengeBytes(label, 64)) % L;
  }
}
