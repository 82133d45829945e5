// A strict JSON reader with Python's json.loads semantics, as src/solvency/files/formats.py
// reads files: integers stay exact (BigInt) and apart from floats (5.0 is not an integer),
// a key given twice, NaN and Infinity are refused, UTF-8 is checked with the offset of the
// first bad byte. Errors are MalformedInputError ("document: ...").
import { MalformedInputError } from './errors.js';

/** A JSON number written with a fraction or an exponent (never an integer to the schemas). */
export class JsonFloat {
  constructor(text) {
    this.text = text;
    this.value = Number(text);
  }
}

const MAX_DEPTH = 900;

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
export function badUtf8(bytes) {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    let need;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) {
      i += 1;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      const l = k === 1 ? lo : 0x80;
      const h = k === 1 ? hi : 0xbf;
      if (c === undefined || c < l || c > h) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * A Python string literal of s, quoted as Python quotes it, with the characters `escaped`
 * picks written as \xNN, \uNNNN or \UNNNNNNNN (and \\, the quote, \t, \n, \r always).
 */
function pyQuoted(s, escaped) {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (escaped(ch, cp)) {
      if (cp < 0x100) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + q;
}

/** Python's repr() of a str: the characters Python does not print are escaped. */
export function pyRepr(s) {
  return pyQuoted(s, (ch) => ch !== ' ' && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(ch));
}

/** Python's ascii(): a quoted literal with every non-ASCII character escaped. */
export function pyAscii(s) {
  return pyQuoted(s, (_ch, cp) => cp < 0x20 || cp >= 0x7f);
}

/** Parse a document (bytes or string); objects are null-prototype plain objects. */
export function parseJson(data) {
  let text = data;
  if (data instanceof Uint8Array) {
    const bad = badUtf8(data);
    if (bad >= 0) throw new MalformedInputError(`document: not UTF-8 (byte ${bad})`);
    text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(data);
  }
  let i = 0;
  // Python's JSONDecodeError text: "<msg>: line L column C (char P)".
  const fail = (what, pos = i) => {
    const nl = text.lastIndexOf('\n', pos - 1);
    const line = text.slice(0, pos).split('\n').length;
    const col = nl < 0 ? pos + 1 : pos - nl;
    throw new MalformedInputError(`document: not valid JSON: ${what}: line ${line} column ${col} (char ${pos})`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = (depth) => {
    if (depth > MAX_DEPTH) throw new MalformedInputError('document: nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    for (const name of ['NaN', 'Infinity', '-Infinity']) {
      if (text.startsWith(name, i)) throw new MalformedInputError(`document: ${name} is not allowed`);
    }
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === '' || m[0] === '-') fail('Expecting value');
    i += m[0].length;
    return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : new JsonFloat(m[0]);
  };
  const object = (depth) => {
    i++;
    const obj = Object.create(null);
    ws();
    if (text[i] === '}') return i++, obj;
    for (;;) {
      ws();
      if (text[i] !== '"') fail('Expecting property name enclosed in double quotes');
      const key = string();
      ws();
      if (text[i] !== ':') fail("Expecting ':' delimiter");
      i++;
      const v = value(depth + 1);
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        throw new MalformedInputError(`document: duplicate key ${pyRepr(key)}`);
      }
      obj[key] = v;
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === '}') return i++, obj;
      else fail("Expecting ',' delimiter");
    }
  };
  const array = (depth) => {
    i++;
    const arr = [];
    ws();
    if (text[i] === ']') return i++, arr;
    for (;;) {
      arr.push(value(depth + 1));
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === ']') return i++, arr;
      else fail("Expecting ',' delimiter");
    }
  };
  const ESC = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const string = () => {
    const begin = i;
    i++;
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('Unterminated string starting at', begin);
      if (c === '"') return i++, out;
      if (c < ' ') fail('Invalid control character at');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape', i + 1);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e in ESC) {
          out += ESC[e];
          i += 2;
        } else fail('Invalid \\escape');
      } else {
        out += c;
        i++;
      }
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('Extra data');
  return v;
}
