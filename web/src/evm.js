// Ethereum and EVM signed messages: EIP-191 personal_sign and EIP-55 addresses
// (docs/PROTOCOL.md section 11.4), after src/solvency/crypto/evm_message.py. For a message m
// (UTF-8 bytes) and a 65-byte signature (r, s, v):
//
//     z = keccak256("\x19Ethereum Signed Message:\n" || ascii(len(m)) || m)
//     Q = Recover(z, r, s, v - 27)            (v in {27, 28}; 0 and 1 are read as 27 and 28)
//     address == keccak256(Q_x || Q_y)[12:32]
//
// An address in mixed case must carry a valid EIP-55 checksum (the case of each hex letter is
// a bit of keccak256 of the lowercase hex address); all-lowercase and all-uppercase addresses
// carry none and are accepted as written. Recovery is @noble/curves', Keccak @noble/hashes'.
// Public data only.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concat, hexToBytes, utf8 } from './bytes.js';
import { MalformedInputError, VerificationError } from './errors.js';

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const SIGNATURE_RE = /^0x[0-9a-f]{130}$/;

/** EIP-55: the checksummed spelling of a 40-hex-digit address body. */
function checksummed(body) {
  const lower = body.toLowerCase();
  const h = bytesToHex(keccak_256(utf8(lower)));
  let out = '';
  for (let i = 0; i < 40; i++) out += parseInt(h[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** evm_message.check_address: the address in lowercase, after its form and, when mixed-case,
 * its EIP-55 checksum; VerificationError otherwise (fail closed). */
export function checkAddress(address) {
  if (typeof address !== 'string' || !ADDRESS_RE.test(address)) throw new VerificationError('unknown address type: not 0x and 40 hex digits');
  const body = address.slice(2);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && checksummed(body) !== body) throw new VerificationError('EIP-55 checksum does not match (mixed-case address)');
  return address.toLowerCase();
}

/** evm_message.parse_signature: "0x" and 130 lowercase hex digits, r || s || v with v in
 * {0, 1, 27, 28}. */
export function parseEvmSignature(text, where = 'signature') {
  if (typeof text !== 'string' || !SIGNATURE_RE.test(text)) throw new MalformedInputError(`${where}: expected 0x and 130 lowercase hex digits`);
  const raw = hexToBytes(text.slice(2));
  if (![0, 1, 27, 28].includes(raw[64])) throw new MalformedInputError(`${where}: v is ${raw[64]}, not 27 or 28`);
  return raw;
}

/** The EIP-191 (version 0x45) digest of a message. */
export function personalDigest(message) {
  return keccak_256(concat(utf8(`\x19Ethereum Signed Message:\n${message.length}`), message));
}

/** evm_message.recover_address: the lowercase address whose key made `signature` over
 * `message`. */
export function recoverAddress(message, signature) {
  if (signature.length !== 65) throw new MalformedInputError('signature: expected 65 bytes');
  const v = signature[64];
  const recid = v < 27 ? v : v - 27;
  let Q;
  try {
    Q = secp256k1.Signature.fromBytes(signature.subarray(0, 64), 'compact').addRecoveryBit(recid).recoverPublicKey(personalDigest(message));
  } catch {
    throw new VerificationError('the signature recovers no public key');
  }
  // address = keccak256(Q_x || Q_y)[12:32]
  return '0x' + bytesToHex(keccak_256(Q.toBytes(false).subarray(1)).subarray(12));
}
