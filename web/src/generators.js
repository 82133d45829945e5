// Bulletproofs generators, as dalek's BulletproofGens (/work/shared/notes/dalek-compat.md):
//
//     G^(j)_i = from_uniform(SHAKE256("GeneratorsChain" || "G" || LE32(j))[64 i : 64 i + 64])
//     H^(j)_i = same with "H"
//
// An aggregated proof over m parties of n bits uses the first n points of the first m parties.
import { shake256 } from '@noble/hashes/sha3.js';
import { concat, le32, utf8 } from './bytes.js';
import { fromUniform } from './group.js';

export const MAX_BITS = 64;
export const MAX_PARTIES = 64;
const cache = new Map();

function chain(label, party) {
  const key = `${label}${party}`;
  let points = cache.get(key);
  if (points === undefined) {
    const stream = shake256(concat(utf8('GeneratorsChain'), utf8(label), le32(party)), {
      dkLen: 64 * MAX_BITS,
    });
    points = [];
    for (let i = 0; i < MAX_BITS; i++) points.push(fromUniform(stream.subarray(64 * i, 64 * i + 64)));
    cache.set(key, points);
  }
  return points;
}

export const partyG = (party) => chain('G', party);
export const partyH = (party) => chain('H', party);
