// Address ownership: what one reserves row proves (docs/PROTOCOL.md sections 11.3-11.5), after
// src/solvency/circuits/ownership.py. Relation checked, per row with expected ownership
// message M (section 11.1):
//
// - bip137 on a Bitcoin chain: one compact signature sig with header h;
//   Q = Recover(BIP137-digest(M), sig) and the row's address is the address of Q of the
//   address's own type: P2PKH (h in 27..34; uncompressed Q for 27..30), P2SH-P2WPKH (h in
//   35..38, or 31..34 as Electrum writes it) or P2WPKH (h in 39..42 or 31..34). A header that
//   claims another type than the address's fails.
// - multisig on a Bitcoin chain: the script S hashes to the address (HASH160 for P2SH, SHA256
//   for P2WSH), S = OP_m <Q_1..Q_n> OP_n OP_CHECKMULTISIG, every signature recovers to one of
//   Q_1..Q_n (serialized as the header says) and at least m distinct keys signed.
// - eip191 on an EVM chain: one 65-byte signature; Recover(EIP191-digest(M), sig) is the row's
//   address (EIP-55 checksum checked when the address is mixed-case).
// - custodial: no signature, no message, no script; counted apart (section 11.5), never part
//   of the key-proven reserves.
//
// Everything else fails closed (VerificationError naming the row): an unknown scheme, chain or
// address type (taproot, nested P2SH-P2WSH, BIP-322, ...), a message that is not exactly M, a
// signature that does not parse or does not recover the address's key. Public data only.
import * as btc from './btc.js';
import { bytesToHex, equalBytes, hexToBytes, utf8 } from './bytes.js';
import { MalformedInputError, VerificationError } from './errors.js';
import { checkAddress, parseEvmSignature, recoverAddress } from './evm.js';
import { pyRepr } from './json.js';
import { parseOwnershipMessage, rowWhere } from './reserves-csv.js';

export const BIP137 = 'bip137';
export const MULTISIG = 'multisig';
export const EIP191 = 'eip191';
export const CUSTODIAL = 'custodial';
export const SCHEMES = [BIP137, MULTISIG, EIP191, CUSTODIAL];
export const BITCOIN_CHAINS = Object.keys(btc.NETWORKS);
/** EVM chains whose addresses are keccak256 key hashes; EIP-191 does not depend on the chain. */
export const EVM_CHAINS = ['ethereum', 'ethereum-sepolia', 'arbitrum', 'optimism', 'base', 'polygon', 'bsc', 'avalanche-c'];
export const KNOWN_CHAINS = [...BITCOIN_CHAINS, ...EVM_CHAINS];

// Which BIP-137 header kinds may prove which single-key address type.
const BIP137_HEADERS = {
  [btc.P2PKH]: [btc.P2PKH_UNCOMPRESSED, btc.P2PKH],
  [btc.P2SH]: [btc.P2SH_P2WPKH, btc.P2PKH],
  [btc.P2WPKH]: [btc.P2WPKH, btc.P2PKH],
};
const KEY_ADDRESS_KIND = { [btc.P2PKH]: btc.P2PKH, [btc.P2SH]: btc.P2SH_P2WPKH, [btc.P2WPKH]: btc.P2WPKH };

const fail = (msg) => new VerificationError(msg);

/** ownership.address_key: the spelling under which two rows' addresses are the same (EVM hex
 * is case-blind). */
export const addressKey = (chain, address) => (EVM_CHAINS.includes(chain) ? address.toLowerCase() : address);

/** ownership.check_ownership: {scheme, address_type, signers, required, key_proven};
 * VerificationError naming the row and the reason otherwise. */
export function checkOwnership(row, expectedMessage) {
  try {
    return check(row, expectedMessage);
  } catch (e) {
    if (e instanceof VerificationError || e instanceof MalformedInputError) {
      throw fail(`${rowWhere(row)} (${row.asset} at ${row.address}): ${e.message}`);
    }
    throw e;
  }
}

const owned = (scheme, addressType, signers, required) => ({
  scheme,
  address_type: addressType,
  signers,
  required,
  key_proven: scheme !== CUSTODIAL,
});

function check(row, expected) {
  if (!SCHEMES.includes(row.scheme)) throw fail(`unknown ownership scheme ${pyRepr(row.scheme)}`);
  if (!KNOWN_CHAINS.includes(row.chain)) throw fail(`unknown chain ${pyRepr(row.chain)}`);
  if (row.scheme === CUSTODIAL) {
    if (row.signatures.length || row.message || row.script) throw fail('a custodial row carries no message, signature or script');
    return owned(CUSTODIAL, CUSTODIAL, [], 0);
  }
  if (row.scheme === EIP191) {
    if (!EVM_CHAINS.includes(row.chain)) throw fail(`scheme eip191 is for EVM chains, not ${pyRepr(row.chain)}`);
  } else if (!BITCOIN_CHAINS.includes(row.chain)) {
    throw fail(`scheme ${row.scheme} is for Bitcoin chains, not ${pyRepr(row.chain)}`);
  }
  checkMessage(row.message, expected);
  if (row.scheme === EIP191) return checkEip191(row);
  if (row.scheme === BIP137) return checkBip137(row);
  return checkMultisig(row);
}

function checkMessage(message, expected) {
  if (message === expected) return;
  const want = parseOwnershipMessage(expected);
  let got;
  try {
    got = parseOwnershipMessage(message);
  } catch (e) {
    if (e instanceof MalformedInputError) throw fail('the signed message is not the ownership message');
    throw e;
  }
  if (got.epoch !== want.epoch || got.rootHex !== want.rootHex) {
    throw fail(
      `signed message is for epoch ${got.epoch} root ${got.rootHex.slice(0, 16)}..., not epoch ${want.epoch} root ${want.rootHex.slice(0, 16)}... (replayed from another epoch?)`,
    );
  }
  throw fail(`signed message names exchange ${pyRepr(got.exchange)}, the reserves file is for ${pyRepr(want.exchange)}`);
}

function oneSignature(row) {
  if (row.signatures.length !== 1) throw fail(`scheme ${row.scheme} takes one signature, got ${row.signatures.length}`);
  if (row.script) throw fail(`scheme ${row.scheme} takes no script`);
  return row.signatures[0];
}

function checkEip191(row) {
  const sig = parseEvmSignature(oneSignature(row));
  const address = checkAddress(row.address);
  const recovered = recoverAddress(utf8(row.message), sig);
  if (recovered !== address) throw fail("the signature is not by the address's key");
  return owned(EIP191, 'evm', [recovered], 1);
}

function checkBip137(row) {
  const net = btc.network(row.chain);
  const address = btc.decodeAddress(row.address, net);
  if (!Object.hasOwn(BIP137_HEADERS, address.kind)) throw fail(`a ${address.kind} address needs the multisig scheme`);
  const sig = btc.parseCompactSignature(oneSignature(row));
  if (!BIP137_HEADERS[address.kind].includes(sig.kind)) {
    throw fail(`the signature's header (${sig.header}) claims a ${sig.kind} address, the address is ${address.kind}`);
  }
  const Q = btc.recoverPubkey(utf8(row.message), sig);
  const derived = btc.keyAddress(Q, KEY_ADDRESS_KIND[address.kind]);
  if (!btc.sameAddress(derived, address)) throw fail("the signature is not by the address's key");
  const kind = address.kind === btc.P2SH ? btc.P2SH_P2WPKH : address.kind;
  return owned(BIP137, kind, [bytesToHex(Q)], 1);
}

function checkMultisig(row) {
  const net = btc.network(row.chain);
  const address = btc.decodeAddress(row.address, net);
  if (address.kind !== btc.P2SH && address.kind !== btc.P2WSH) {
    throw fail(`the multisig scheme needs a P2SH or P2WSH address, not ${address.kind}`);
  }
  if (!row.script) throw fail('the multisig scheme needs the redeem or witness script');
  const script = hexToBytes(row.script);
  // S hashes to the address: HASH160(S) for P2SH, SHA256(S) for P2WSH
  if (!btc.sameAddress(btc.scriptAddress(script, address.kind), address)) throw fail('the script does not hash to the address');
  const ms = btc.parseMultisig(script);
  if (address.kind === btc.P2WSH && ms.keys.some((Q) => Q.length !== 33)) throw fail('a P2WSH script holds compressed keys only (BIP-143)');
  if (row.signatures.length === 0) throw fail(`no signatures: ${ms.m} of the ${ms.keys.length} keys must sign`);
  const message = utf8(row.message);
  const signed = [];
  row.signatures.forEach((text, k) => {
    const i = k + 1;
    let Q;
    try {
      const sig = btc.parseCompactSignature(text, `signature ${i}`);
      Q = btc.recoverPubkey(message, sig);
    } catch (e) {
      if (e instanceof VerificationError || e instanceof MalformedInputError) throw fail(`signature ${i}: ${e.message}`);
      throw e;
    }
    if (!ms.keys.some((K) => equalBytes(K, Q))) throw fail(`signature ${i} is not by a key of the script`);
    if (!signed.some((K) => equalBytes(K, Q))) signed.push(Q);
  });
  // at least m distinct keys of S signed
  if (signed.length < ms.m) throw fail(`only ${signed.length} distinct key(s) of the ${ms.m}-of-${ms.keys.length} script signed`);
  const kind = address.kind === btc.P2SH ? 'p2sh-multisig' : 'p2wsh-multisig';
  return owned(MULTISIG, kind, signed.map(bytesToHex), ms.m);
}
