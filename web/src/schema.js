// The JSON Schemas of src/solvency/files/schemas/ (the single description of each file), checked
// with the keywords they use, reporting the first error as formats.check_shape does: errors in
// the order jsonschema yields them (schema keyword order), the shallowest one wins, and its
// message is formats._message's.
import { JsonFloat, pyRepr } from './json.js';

const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof JsonFloat);

const TYPE_CHECKS = {
  integer: (x) => typeof x === 'bigint',
  string: (x) => typeof x === 'string',
  array: (x) => Array.isArray(x),
  object: isObject,
  null: (x) => x === null,
};

function resolve(root, ref) {
  // Local references only ("#/$defs/name").
  let node = root;
  for (const part of ref.replace(/^#\//, '').split('/')) node = node[part];
  return node;
}

function equalJson(a, b) {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    return typeof a === 'bigint' && typeof b === 'number' ? a === BigInt(b) : a === b;
  }
  return a === b;
}

/** Yield {keyword, value, schema, path} for each error, in jsonschema's order. */
function* errors(root, schema, instance, path) {
  for (const [kw, value] of Object.entries(schema)) {
    const err = { keyword: kw, value, schema, path, instance };
    switch (kw) {
      case '$ref':
        yield* errors(root, resolve(root, value), instance, path);
        break;
      case 'type': {
        const names = Array.isArray(value) ? value : [value];
        if (!names.some((t) => TYPE_CHECKS[t](instance))) yield err;
        break;
      }
      case 'const':
        if (!equalJson(instance, value)) yield err;
        break;
      case 'enum':
        if (!value.some((v) => equalJson(instance, v))) yield err;
        break;
      case 'pattern':
        if (typeof instance === 'string' && !new RegExp(value, 'u').test(instance)) yield err;
        break;
      case 'minLength':
        if (typeof instance === 'string' && [...instance].length < value) yield err;
        break;
      case 'maxLength':
        if (typeof instance === 'string' && [...instance].length > value) yield err;
        break;
      case 'minimum':
        if (typeof instance === 'bigint' && instance < BigInt(value)) yield err;
        break;
      case 'maximum':
        if (typeof instance === 'bigint' && instance > BigInt(value)) yield err;
        break;
      case 'minItems':
        if (Array.isArray(instance) && instance.length < value) yield err;
        break;
      case 'maxItems':
        if (Array.isArray(instance) && instance.length > value) yield err;
        break;
      case 'items':
        if (Array.isArray(instance)) {
          for (let k = 0; k < instance.length; k++) yield* errors(root, value, instance[k], [...path, k]);
        }
        break;
      case 'required':
        if (isObject(instance) && value.some((k) => !(k in instance))) yield err;
        break;
      case 'additionalProperties':
        if (value === false && isObject(instance)) {
          const known = schema.properties ?? {};
          if (Object.keys(instance).some((k) => !(k in known))) yield err;
        }
        break;
      case 'properties':
        if (isObject(instance)) {
          for (const [k, sub] of Object.entries(value)) {
            if (k in instance) yield* errors(root, sub, instance[k], [...path, k]);
          }
        }
        break;
      default:
        break; // $schema, $id, $defs, title, description: annotations
    }
  }
}

/** formats._path */
export function fieldPath(where, parts) {
  let out = where;
  for (const p of parts) out = typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p;
  return out || 'document';
}

const TYPE_NAMES = { integer: 'an integer', string: 'a string', array: 'a list', object: 'a JSON object', null: 'null' };

function pyValue(v) {
  return typeof v === 'string' ? pyRepr(v) : String(v);
}

/** formats._message */
function message(e, where) {
  const at = fieldPath(where, e.path);
  const s = e.schema;
  const { keyword: kw, value } = e;
  if (kw === 'additionalProperties') {
    const known = s.properties ?? {};
    const extra = Object.keys(e.instance).filter((k) => !(k in known)).sort();
    return `${at}: unknown key ${pyRepr(extra[0])}`;
  }
  if (kw === 'required') return `${at}: missing key ${pyRepr(value.find((k) => !(k in e.instance)))}`;
  if ('description' in s) return `${at}: expected ${s.description}`;
  if (kw === 'type') {
    const names = Array.isArray(value) ? value : [value];
    return `${at}: expected ${names.map((n) => TYPE_NAMES[n] ?? n).join(' or ')}`;
  }
  if (kw === 'minimum' || kw === 'maximum') return `${at}: must be in ${s.minimum ?? ''}..${s.maximum ?? ''}`;
  if (kw === 'minLength' || kw === 'maxLength') return `${at}: expected ${s.minLength ?? 0}-${s.maxLength ?? ''} characters`;
  if (kw === 'minItems') return `${at}: at least ${Number(value) === 1 ? 'one is' : `${value} are`} required`;
  if (kw === 'maxItems') return `${at}: at most ${value} items`;
  if (kw === 'const') return `${at}: expected ${pyValue(value)}`;
  if (kw === 'enum') return `${at}: must be one of (${value.map(pyValue).join(', ')})`;
  return `${at}: ${kw} failed`;
}

/** The first error's message (shallowest, in schema order), or null when `instance` conforms. */
export function firstError(schema, instance, where = '') {
  let best = null;
  for (const e of errors(schema, schema, instance, [])) {
    if (best === null || e.path.length < best.path.length) best = e;
  }
  return best === null ? null : message(best, where);
}
