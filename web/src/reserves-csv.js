// The reserves file (CSV, UTF-8, version 1) and the ownership message (docs/PROTOCOL.md
// sections 11.1-11.2), after src/solvency/files/reserves.py: ReservesFile.loads_csv,
// parse_ownership_message and ReserveRow.units, with the same refusals and messages.
//
// Line 1 is exactly "# solvency-reserves v1"; then the header
//     asset,chain,address,balance,height,block_hash,scheme,message,signatures,script
// and one row per (asset, chain, address), read as Python's csv.reader(strict=True) reads them
// (excel dialect: "," and '"', "" for a quote inside quotes, a quoted field may span lines).
// Every row is checked against the schema reserves-v1.json#/$defs/row. Errors name the file,
// the row (data rows count from 1, with the file line where the row starts) and the column;
// nothing is normalised.
import { bytesToHex, hexToBytes, utf8 } from './bytes.js';
import { MalformedInputError } from './errors.js';
import { forbiddenKind } from './formats.js';
import { badUtf8, parseJson, pyRepr } from './json.js';
import { firstError } from './schema.js';
import { RESERVES_V1 } from './schemas.gen.js';

export const FIRST_LINE = '# solvency-reserves v1';
export const COLUMNS = ['asset', 'chain', 'address', 'balance', 'height', 'block_hash', 'scheme', 'message', 'signatures', 'script'];
export const MESSAGE_TITLE = 'solvency proof of reserves v1';
export const MAX_EXCHANGE_CHARS = 64;
/** A reserves file this large is refused rather than read. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Python's csv.field_size_limit() default, in characters. */
const CSV_FIELD_LIMIT = 131072;
const MAX_UNITS = 2n ** 64n - 1n;
const MAX_MESSAGE_BYTES = 4096;

const SCHEMA = parseJson(RESERVES_V1);
const ROW_SCHEMA = { $ref: '#/$defs/row', $defs: SCHEMA.$defs };
const VERSION_LINE_RE = /^# solvency-reserves v(0|[1-9][0-9]*)$/;
const ROOT_HEX_RE = /^[0-9a-f]{64}$/;
const EPOCH_RE = /^[A-Za-z0-9._:-]{1,64}$/;
const AMOUNT_RE = /^([0-9]+)(?:\.([0-9]+))?$/;
const ECHO_CHARS = 40;

/** ReservesFileError: a MalformedInputError (exit 2) naming file, row and column. */
const bad = (msg) => new MalformedInputError(msg);

// --- the ownership message ------------------------------------------------------------------

/** reserves.ownership_message: the text every address signs for one epoch (section 11.1). */
export function ownershipMessage(exchange, epoch, rootHash) {
  checkExchange(exchange);
  if (typeof epoch !== 'string' || !EPOCH_RE.test(epoch)) throw bad('epoch: expected 1-64 characters of A-Z a-z 0-9 . _ : -');
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== 32) throw bad('root hash: expected 32 bytes');
  return [MESSAGE_TITLE, `exchange: ${exchange}`, `epoch: ${epoch}`, `root: ${bytesToHex(rootHash)}`].join('\n');
}

/** reserves.parse_ownership_message: {exchange, epoch, rootHex}; MalformedInputError unless
 * the text is exactly the v1 form. */
export function parseOwnershipMessage(text) {
  const lines = text.split('\n');
  if (lines.length !== 4 || lines[0] !== MESSAGE_TITLE) throw bad(`message: not a ${pyRepr(MESSAGE_TITLE)} message of four lines`);
  const fields = ['exchange', 'epoch', 'root'].map((key, i) => {
    const prefix = `${key}: `;
    if (!lines[i + 1].startsWith(prefix)) throw bad(`message: expected a line starting ${pyRepr(prefix)}`);
    return lines[i + 1].slice(prefix.length);
  });
  const [exchange, epoch, root] = fields;
  checkExchange(exchange);
  if (!EPOCH_RE.test(epoch)) throw bad('message: the epoch is not a valid epoch id');
  if (!ROOT_HEX_RE.test(root)) throw bad('message: the root is not 64 lowercase hex digits');
  if (ownershipMessage(exchange, epoch, hexToBytes(root)) !== text) throw bad('message: not in canonical form');
  return { exchange, epoch, rootHex: root };
}

/** reserves._check_exchange: 1-64 characters, no surrounding spaces, no character of Unicode
 * category C or Z but the space (Python's unicodedata, through the generated tables). */
function checkExchange(exchange) {
  const chars = typeof exchange === 'string' ? [...exchange] : null;
  if (
    chars === null ||
    chars.length < 1 ||
    chars.length > MAX_EXCHANGE_CHARS ||
    exchange !== exchange.replace(/^ +| +$/g, '') ||
    chars.some((ch) => ch !== ' ' && isCategoryCorZ(ch.codePointAt(0)))
  ) {
    throw bad(`exchange name: expected 1-${MAX_EXCHANGE_CHARS} printable characters, no surrounding spaces`);
  }
}

// The user-id table holds exactly categories C* and Z* but the space, plus the letters and
// marks that are default-ignorable ("invisible"), which are not C or Z.
const isCategoryCorZ = (cp) => {
  const kind = forbiddenKind(cp);
  return kind !== null && kind !== 'invisible (default-ignorable) character';
};

// --- rows -------------------------------------------------------------------------------------

/** ReserveRow.where */
export const rowWhere = (row) => (row.line ? `row ${row.row} (line ${row.line})` : `row ${row.row}`);

/** ReserveRow.units: the balance in integer units (ledger.parse_amount; the schema has already
 * checked the digits), MalformedInputError naming the row otherwise. */
export function rowUnits(row, decimals) {
  const m = AMOUNT_RE.exec(row.balance);
  const fail = (why) => bad(`${rowWhere(row)}, column balance: ${why}`);
  if (m === null) throw fail('not a decimal amount');
  const shown = row.balance.length <= ECHO_CHARS ? row.balance : row.balance.slice(0, ECHO_CHARS - 3) + '...';
  const whole = m[1];
  const fraction = m[2] ?? '';
  if (fraction.length > decimals) throw fail(`${shown} has ${fraction.length} decimals, ${row.asset} allows ${decimals}`);
  if (whole.replace(/^0+/, '').length > 20) throw fail(`${shown} exceeds the maximum of 2^64 - 1 units`);
  // amount * 10^d by moving the decimal point: append the fraction padded to d digits
  const units = BigInt(whole + fraction.padEnd(decimals, '0'));
  if (units > MAX_UNITS) throw fail(`${shown} exceeds the maximum of 2^64 - 1 units`);
  return units;
}

/** ReserveRow.from_json: one row's fields checked against the row schema, then the message. */
function rowFromFields(d, row, line) {
  const where = line ? `row ${row} (line ${line})` : `row ${row}`;
  const error = firstError(ROW_SCHEMA, d);
  if (error !== null) throw bad(`${where}, column ${error}`.replace('column document: ', ''));
  const message = d.message;
  if (utf8(message).length > MAX_MESSAGE_BYTES) throw bad(`${where}, column message: longer than 4096 UTF-8 bytes`);
  if (/[^\P{Cc}\n]/u.test(message)) throw bad(`${where}, column message: contains a control character`);
  return {
    asset: d.asset,
    chain: d.chain,
    address: d.address,
    balance: d.balance,
    height: BigInt(d.height),
    block_hash: d.block_hash,
    scheme: d.scheme,
    message,
    signatures: d.signatures,
    script: d.script,
    row,
    line,
  };
}

// --- the file ---------------------------------------------------------------------------------

/**
 * ReservesFile.loads_csv: `bytes` (a Uint8Array) read strictly; `where` names the file in every
 * message (the CLI uses the path it was given). Returns {rows: [...]}, each row with its fields
 * as written (height a BigInt, signatures a list), its 1-based `row` and starting `line`.
 * MalformedInputError naming file, row and column on anything else.
 */
export function parseReserves(bytes, where = 'reserves file') {
  const name = where;
  const text = decode(bytes, name);
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const m = VERSION_LINE_RE.exec(first);
  if (nl < 0 || m === null) throw bad(`${name}, line 1: expected ${pyRepr(FIRST_LINE)}`);
  if (m[1] !== '1') {
    // UnsupportedVersionError (a MalformedInputError)
    throw bad(`${name}, line 1: reserves file version ${m[1]} is not supported (this release reads version 1)`);
  }
  const rows = [];
  for (const [n, line, fields] of csvRows(text.slice(nl + 1), name, COLUMNS, 2)) {
    const d = Object.fromEntries(COLUMNS.map((c, i) => [c, fields[i]]));
    d.signatures = d.signatures ? d.signatures.split(';') : [];
    if (d.signatures.some((s) => s === '')) throw bad(`${name}, row ${n} (line ${line}), column signatures: empty`);
    try {
      rows.push(rowFromFields(d, n, line));
    } catch (e) {
      if (e instanceof MalformedInputError) throw bad(`${name}, ${e.message}`);
      throw e;
    }
  }
  if (rows.length === 0) throw bad(`${name}: no rows`);
  return { rows };
}

/** reserves._decode: at most 64 MiB, no byte-order mark, UTF-8, "\n" line ends only. */
function decode(data, name) {
  if (data.length > MAX_FILE_BYTES) throw bad(`${name}: larger than ${MAX_FILE_BYTES} bytes`);
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) throw bad(`${name}: starts with a byte-order mark`);
  const at = badUtf8(data);
  if (at >= 0) {
    let line = 1;
    for (let i = 0; i < at; i++) if (data[i] === 0x0a) line++;
    throw bad(`${name}, line ${line}: not UTF-8`);
  }
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  if (text.includes('\r')) throw bad(`${name}: carriage returns (use \\n line ends)`);
  return text;
}

/** reserves._csv_rows: [row number, starting line, fields] of each data row after the exact
 * header. */
function csvRows(text, name, columns, firstLine) {
  const reader = new CsvReader(text);
  const out = [];
  let start = firstLine;
  try {
    const header = reader.next();
    if (header === null) throw bad(`${name}: empty (expected the header ${columns.join(',')})`);
    if (header.length !== columns.length || header.some((h, i) => h !== columns[i])) {
      throw bad(`${name}, line ${start}: header must be exactly ${columns.join(',')}`);
    }
    start = firstLine + reader.lineNum;
    for (let n = 1; ; n++) {
      const fields = reader.next();
      if (fields === null) break;
      if (fields.length !== columns.length) throw bad(`${name}, row ${n} (line ${start}): ${fields.length} fields, expected ${columns.length}`);
      out.push([n, start, fields]);
      start = firstLine + reader.lineNum;
    }
  } catch (e) {
    if (e instanceof CsvError) throw bad(`${name}, line ${firstLine + reader.lineNum - 1}: ${e.message}`);
    throw e;
  }
  return out;
}

class CsvError extends Error {}

// The states of CPython's Modules/_csv.c reader that the excel dialect reaches (no escape
// character, so no escape states; no "\r", refused before).
const START_RECORD = 0;
const START_FIELD = 1;
const IN_FIELD = 2;
const IN_QUOTED_FIELD = 3;
const QUOTE_IN_QUOTED_FIELD = 4;
const EAT_CRNL = 5;
const EOL = null;

/**
 * csv.reader(io.StringIO(text, newline=""), strict=True): lines are read one at a time (each
 * ending after its "\n"), every character then an end-of-line mark goes through the state
 * machine, and a record ends when the state is back at the start of a record. `lineNum`
 * counts the lines read, as reader.line_num.
 */
class CsvReader {
  constructor(text) {
    this.lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    this.pos = 0;
    this.lineNum = 0;
  }

  /** The next record's fields, or null at the end of the input. */
  next() {
    this.fields = [];
    this.field = [];
    this.state = START_RECORD;
    do {
      if (this.pos === this.lines.length) {
        if (this.field.length !== 0 || this.state === IN_QUOTED_FIELD) throw new CsvError('unexpected end of data');
        return null;
      }
      const line = this.lines[this.pos++];
      this.lineNum++;
      for (const c of line) this.process(c);
      this.process(EOL);
    } while (this.state !== START_RECORD);
    return this.fields;
  }

  save() {
    this.fields.push(this.field.join(''));
    this.field = [];
  }

  add(c) {
    if (this.field.length >= CSV_FIELD_LIMIT) throw new CsvError(`field larger than field limit (${CSV_FIELD_LIMIT})`);
    this.field.push(c);
  }

  process(c) {
    switch (this.state) {
      case START_RECORD:
        if (c === EOL) break; // an empty line: the record []
        if (c === '\n') {
          this.state = EAT_CRNL;
          break;
        }
        this.state = START_FIELD;
      // falls through: a normal character starts a field
      case START_FIELD:
        if (c === '\n' || c === EOL) {
          this.save();
          this.state = c === EOL ? START_RECORD : EAT_CRNL;
        } else if (c === '"') this.state = IN_QUOTED_FIELD;
        else if (c === ',') this.save();
        else {
          this.add(c);
          this.state = IN_FIELD;
        }
        break;
      case IN_FIELD:
        if (c === '\n' || c === EOL) {
          this.save();
          this.state = c === EOL ? START_RECORD : EAT_CRNL;
        } else if (c === ',') {
          this.save();
          this.state = START_FIELD;
        } else this.add(c);
        break;
      case IN_QUOTED_FIELD:
        if (c === EOL) break;
        if (c === '"') this.state = QUOTE_IN_QUOTED_FIELD;
        else this.add(c);
        break;
      case QUOTE_IN_QUOTED_FIELD:
        if (c === '"') {
          // "" inside quotes is one "
          this.add(c);
          this.state = IN_QUOTED_FIELD;
        } else if (c === ',') {
          this.save();
          this.state = START_FIELD;
        } else if (c === '\n' || c === EOL) {
          this.save();
          this.state = c === EOL ? START_RECORD : EAT_CRNL;
        } else throw new CsvError(`',' expected after '"'`);
        break;
      case EAT_CRNL:
        if (c === EOL) this.state = START_RECORD;
        else if (c !== '\n') throw new CsvError("new-line character seen in unquoted field - do you need to open the file with newline=''?");
        break;
      default:
        throw new Error('unreachable CSV state');
    }
  }
}
