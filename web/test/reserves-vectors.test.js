// Published vectors for the reserves checks in JS (the same ones tests/test_reserves_schemes.py
// runs on the Python code): bitcoinjs-message's BIP-137 digests and signatures, the addresses of
// the key 1, BIP-173's P2WSH example, bitcoinjs-lib's 2-of-3 P2SH, EIP-55's examples, and the
// EIP-191 signatures of eth-account's and viem's documentation. Independent of the Python.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import * as btc from '../src/btc.js';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { checkAddress } from '../src/evm.js';
import { checkOwnership } from '../src/ownership.js';

const NET = btc.NETWORKS.bitcoin;
const utf8 = (s) => new TextEncoder().encode(s);

function row(fields) {
  return { asset: 'BTC', chain: 'bitcoin', balance: '1', height: 1n, block_hash: '00'.repeat(32), script: '', row: 1, line: 0, ...fields };
}

test('BIP-137 message digests (bitcoinjs-message magicHash)', () => {
  assert.equal(bytesToHex(btc.messageDigest(utf8(''))), '80e795d4a4caadd7047af389d9f7f220562feb6196032e2131e10563352c4bcc');
  assert.equal(bytesToHex(btc.messageDigest(utf8('Vires is Numeris'))), 'f8a5affbef4a3241b19067aa694562f64f513310817297089a8929a930f4f933');
});

const VIRES = 'vires is numeris';
const SIG_27 = 'G8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=';
const SIG_31 = 'H8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=';
const SIG_36 = 'JF8nHqFr3K2UKYahhX3soVeoW8W1ECNbr0wfck7lzyXjCS5Q16Ek45zyBuy1Fiy9sTPKVgsqqOuPvbycuVSSVl8=';
const SIG_40 = 'KF8nHqFr3K2UKYahhX3soVeoW8W1ECNbr0wfck7lzyXjCS5Q16Ek45zyBuy1Fiy9sTPKVgsqqOuPvbycuVSSVl8=';

test('BIP-137 published signatures prove P2PKH (both keys), P2SH-P2WPKH and P2WPKH', () => {
  for (const [address, sig, kind] of [
    ['16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM', SIG_27, 'p2pkh'],
    ['1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs', SIG_31, 'p2pkh'],
    ['3JvL6Ymt8MVWiCNHC7oWU6nLeHNJKLZGLN', SIG_36, 'p2sh-p2wpkh'],
    ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', SIG_40, 'p2wpkh'],
  ]) {
    const own = checkOwnership(row({ address, scheme: 'bip137', message: VIRES, signatures: [sig] }), VIRES);
    assert.equal(own.address_type, kind);
  }
});

test('BIP-137 published invalid signatures: wrong message, wrong address, compression either way', () => {
  for (const [address, message, sig] of [
    ['16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM', 'foobar', SIG_27],
    ['1111111111111111111114oLvT2', VIRES, SIG_31],
    ['16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM', VIRES, SIG_31],
    ['1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs', VIRES, SIG_27],
  ]) {
    const r = row({ address, scheme: 'bip137', message, signatures: [sig] });
    assert.throws(() => checkOwnership(r, message), (e) => e.name === 'VerificationError' && e.message.startsWith('row 1 (BTC at '));
  }
});

test('the addresses of the key 1, BIP-173 P2WSH, bitcoinjs-lib 2-of-3 P2SH', () => {
  const G = secp256k1.Point.BASE.toBytes(true);
  const G_full = secp256k1.Point.BASE.toBytes(false);
  const enc = (Q, kind) => btc.encodeAddress(btc.keyAddress(Q, kind), NET);
  assert.equal(enc(G, 'p2wpkh'), 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4');
  assert.equal(enc(G, 'p2sh-p2wpkh'), '3JvL6Ymt8MVWiCNHC7oWU6nLeHNJKLZGLN');
  assert.equal(enc(G, 'p2pkh'), '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH');
  assert.equal(enc(G_full, 'p2pkh'), '1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm');
  const checksig = hexToBytes('210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ac');
  assert.equal(btc.encodeAddress(btc.scriptAddress(checksig, 'p2wsh'), NET), 'bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3');
  const keys = [
    '026477115981fe981a6918a6297d9803c4dc04f328f22041bedff886bbc2962e01',
    '02c96db2302d19b43d4c69368babace7854cc84eb9e061cde51cfa77ca4a22b8b9',
    '03c6103b3b83e4a24a0e33a4df246ef11772f9992663db0c35759a5e2ebf68d8e9',
  ];
  const script = hexToBytes('52' + keys.map((k) => '21' + k).join('') + '53ae');
  const ms = btc.parseMultisig(script);
  assert.equal(ms.m, 2);
  assert.deepEqual(ms.keys.map(bytesToHex), keys);
  const a = btc.scriptAddress(script, 'p2sh');
  assert.equal(btc.encodeAddress(a, NET), '36NUkt6FWUi3LAWBqWRdDmdTWbt91Yvfu7');
  assert.ok(btc.sameAddress(btc.decodeAddress('36NUkt6FWUi3LAWBqWRdDmdTWbt91Yvfu7', NET), a));
});

test('unknown or non-canonical Bitcoin addresses fail closed', () => {
  for (const address of [
    'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', // BIP-350 taproot
    'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', // BIP-173 uppercase
    'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5',
    '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMJ',
    'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx',
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  ]) {
    assert.throws(() => btc.decodeAddress(address, NET), (e) => e.name === 'VerificationError' && e.message.startsWith('unknown address type'), address);
  }
});

test("EIP-55's examples, and each with one letter's case flipped", () => {
  for (const address of [
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
    '0xde709f2102306220921060314715629080e2fb77',
    '0x27b1fdb04752bbc536007a920d24acb045561c26',
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ]) {
    assert.equal(checkAddress(address), address.toLowerCase());
    const body = address.slice(2);
    if (body !== body.toLowerCase() && body !== body.toUpperCase()) {
      const i = [...address].findIndex((c, k) => k > 1 && /[a-fA-F]/.test(c));
      const c = address[i];
      const bad = address.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + address.slice(i + 1);
      assert.throws(() => checkAddress(bad), /EIP-55 checksum does not match/);
    }
  }
});

test("EIP-191 signatures of eth-account's and viem's documentation", () => {
  for (const [message, address, signature] of [
    [
      'I\u2665SF',
      '0x5ce9454909639D2D17A3F753ce7d93fa0b9aB12E',
      '0xe6ca9bba58c88611fad66a6ce8f996908195593807c4b38bd528d2cff09d4eb33e5bfbbf4d3e39b1a2fd816a7680c19ebebaf3a141b239934ad43cb33fcec8ce1c',
    ],
    [
      'hello world',
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      '0xa461f509887bd19e312c0c58467ce8ff8e300d3c1a90b608a760c5b80318eaf15fe57c96f9175d6cd4daad4663763baa7e78836e067d0163e9a2ccf2ff753f5b1b',
    ],
  ]) {
    const r = row({ asset: 'ETH', chain: 'ethereum', address, scheme: 'eip191', message, signatures: [signature] });
    assert.deepEqual(checkOwnership(r, message).signers, [address.toLowerCase()]);
    const other = row({ ...r, message: message + '!' });
    assert.throws(() => checkOwnership(other, other.message), /the signature is not by the address's key/);
  }
});
