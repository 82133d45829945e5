// STROBE-128 (Hamburg, "The STROBE protocol framework", v1.0.2), reduced to what Merlin uses:
// meta-AD, AD and PRF. Written from the STROBE paper and merlin.cool, after the Python twin
// src/solvency/crypto/strobe.py.
//
// The duplex runs over Keccak-f[1600] (noble's keccakP, 24 rounds) with rate R = 166 bytes.
// An operation with flags F first absorbs (pos_begin, F); an operation with the C flag then
// permutes when the block is not empty. When a block is full, or before a forced permute:
//
//     st[pos] ^= pos_begin;  st[pos + 1] ^= 0x04;  st[R + 1] ^= 0x80;  st = F(st)
import { keccakP } from '@noble/hashes/sha3.js';
import { swap32IfBE } from '@noble/hashes/utils.js';

export const R = 166;
const FLAG_I = 1;
const FLAG_A = 1 << 1;
const FLAG_C = 1 << 2;
const FLAG_M = 1 << 4;

export class Strobe128 {
  constructor(protocolLabel) {
    this.st = new Uint8Array(200);
    this.st32 = new Uint32Array(this.st.buffer);
    this.st.set([1, R + 2, 1, 0, 1, 96], 0);
    this.st.set(new TextEncoder().encode('STROBEv1.0.2'), 6);
    this.permute();
    this.pos = 0;
    this.posBegin = 0;
    this.curFlags = 0;
    this.metaAd(protocolLabel, false);
  }

  clone() {
    const other = Object.create(Strobe128.prototype);
    other.st = this.st.slice();
    other.st32 = new Uint32Array(other.st.buffer);
    other.pos = this.pos;
    other.posBegin = this.posBegin;
    other.curFlags = this.curFlags;
    return other;
  }

  permute() {
    // keccakP works on little-endian 32-bit words, as noble's own Keccak feeds it.
    swap32IfBE(this.st32);
    keccakP(this.st32, 24);
    swap32IfBE(this.st32);
  }

  metaAd(data, more) {
    this.beginOp(FLAG_M | FLAG_A, more);
    this.absorb(data);
  }

  ad(data, more) {
    this.beginOp(FLAG_A, more);
    this.absorb(data);
  }

  prf(length, more) {
    this.beginOp(FLAG_I | FLAG_A | FLAG_C, more);
    // Cipher operations start on a fresh block.
    if (!more && this.pos !== 0) this.runF();
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.st[this.pos];
      this.st[this.pos] = 0;
      this.pos += 1;
      if (this.pos === R) this.runF();
    }
    return out;
  }

  runF() {
    this.st[this.pos] ^= this.posBegin;
    this.st[this.pos + 1] ^= 0x04;
    this.st[R + 1] ^= 0x80;
    this.permute();
    this.pos = 0;
    this.posBegin = 0;
  }

  absorb(data) {
    for (let i = 0; i < data.length; i++) {
      this.st[this.pos] ^= data[i];
      this.pos += 1;
      if (this.pos === R) this.runF();
    }
  }

  beginOp(flags, more) {
    if (more) {
      // Continuing an operation: it must be the same kind of operation.
      if (flags !== this.curFlags) throw new Error('STROBE: continued operation changes flags');
      return;
    }
    const oldBegin = this.posBegin;
    this.posBegin = this.pos + 1;
    this.curFlags = flags;
    this.absorb(Uint8Array.of(oldBegin, flags));
  }
}
