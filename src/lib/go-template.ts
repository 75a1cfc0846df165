/**
 * A Go text/template engine (the subset `docker ... --format` relies on) plus the
 * Go fmt verbs it needs. Output is meant to be byte-for-byte what the Docker CLI
 * prints for the same template and data; where JavaScript values cannot carry a Go
 * type (int vs float64, nil pointer vs missing key) the choices are documented on
 * the helper that makes them.
 *
 * Value model: `undefined` is Go's "no value" (a missing map key), `null` is nil,
 * plain objects are Go maps (sorted keys when printed or ranged over), other objects
 * are struct-like (always true, fields by property), arrays are slices, integral
 * numbers behave as ints and other numbers as float64.
 */
import { InvalidParameterError } from './errors.js';
import { formatFloat } from './go-float.js';

export type TemplateFunc = (...args: any[]) => unknown;
export type FuncMap = Record<string, TemplateFunc>;

export interface TemplateOptions {
  /** Go's missingkey option: 'error' makes a missing map key fail, as `docker inspect` does for raw JSON. */
  missingKey?: 'default' | 'error';
}

export interface ParsedTemplate {
  /** Runs the template; `funcs` replace functions by name for this run (Docker renders table headers that way). */
  execute(data: unknown, funcs?: FuncMap): string;
}

// ---------------------------------------------------------------------------
// Small Go-compat helpers

const NOARG: unique symbol = Symbol('missing');

function utf8Bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Go sees JavaScript's lone surrogates as invalid UTF-8, i.e. U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isIntegral(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63;
}

/** Go's map key order (fmtsort): strings by bytes, which is code point order. */
function compareGo(a: string, b: string): number {
  return Buffer.compare(utf8Bytes(a), utf8Bytes(b));
}

function sortedKeys(o: object): string[] {
  return Object.keys(o).sort(compareGo);
}

/** The Go type name fmt prints in `%!d(string=x)` and `%T`. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return isIntegral(v) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func(...interface {}) interface {}';
  }
  // Docker's typed lists are []string; a JSON array of strings most likely was one.
  if (Array.isArray(v)) return v.length > 0 && v.every((e) => typeof e === 'string') ? '[]string' : '[]interface {}';
  if (v instanceof Date) return 'time.Time';
  if (isPlainObject(v)) return 'map[string]interface {}';
  const name = (v as object).constructor?.name;
  return name ? `*${name}` : 'struct';
}

export { formatFloat };

// ---------------------------------------------------------------------------
// strconv.Quote

const LOWER_HEX = '0123456789abcdef';

function isGoPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(cp));
}

function hexPad(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function escapeRune(cp: number, quote: string, asciiOnly: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === '\\') return '\\' + ch;
  if (asciiOnly ? cp < 0x80 && isGoPrint(cp) : isGoPrint(cp)) return ch;
  switch (ch) {
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\v':
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hexPad(cp, 2);
  if (cp < 0x10000) return '\\u' + hexPad(cp, 4);
  return '\\U' + hexPad(cp, 8);
}

/** strconv.Quote (or QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of wellFormed(s)) out += escapeRune(ch.codePointAt(0)!, '"', asciiOnly);
  return out + '"';
}

function quoteRune(cp: number, asciiOnly: boolean): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  return "'" + escapeRune(cp, "'", asciiOnly) + "'";
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '`' || cp === 0xfeff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    if ((cp < 0x20 && ch !== '\t') || cp === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// fmt: Sprintf / Sprint / Sprintln

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

function newFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    wid: 0,
    widPresent: false,
    prec: 0,
    precPresent: false,
  };
}

function padding(f: Flags, n: number): string {
  return n > 0 ? (f.zero ? '0' : ' ').repeat(n) : '';
}

function pad(f: Flags, s: string): string {
  if (!f.widPresent || f.wid === 0) return s;
  const n = f.wid - runeCount(s);
  if (n <= 0) return s;
  return f.minus ? s + ' '.repeat(n) : padding(f, n) + s;
}

function truncateRunes(f: Flags, s: string): string {
  if (!f.precPresent) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ >= f.prec) break;
    out += ch;
  }
  return out;
}

function fmtInteger(f: Flags, v: bigint, base: number, verb: string, upper: boolean): string {
  const negative = v < 0n;
  const u = negative ? -v : v;
  let prec = 0;
  if (f.precPresent) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return f.widPresent ? ' '.repeat(f.wid) : '';
  } else if (f.zero && !f.minus && f.widPresent) {
    prec = f.wid;
    if (negative || f.plus || f.space) prec--;
  }
  let digits = u.toString(base);
  if (upper) digits = digits.toUpperCase();
  if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  if (f.sharp) {
    if (base === 2) digits = '0b' + digits;
    else if (base === 8 && digits[0] !== '0') digits = '0' + digits;
    else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = '0o' + digits;
  if (negative) digits = '-' + digits;
  else if (f.plus) digits = '+' + digits;
  else if (f.space) digits = ' ' + digits;
  return pad({ ...f, zero: false }, digits);
}

function fmtFloatVerb(f: Flags, v: number, verb: string, defPrec: number): string {
  const prec = f.precPresent ? f.prec : defPrec;
  let num = formatFloat(v, verb as 'e', prec);
  num = num[0] === '-' || num[0] === '+' ? num : '+' + num;
  if (f.space && num[0] === '+' && !f.plus) num = ' ' + num.slice(1);
  if (num[1] === 'I' || num[1] === 'N') {
    if (num[1] === 'N' && !f.space && !f.plus) num = num.slice(1);
    return pad({ ...f, zero: false }, num);
  }
  if (f.sharp) {
    let digits = 0;
    if (verb === 'g' || verb === 'G') digits = prec === -1 ? 6 : prec;
    let tail = '';
    let body = num;
    const ei = body.search(/[eE]/);
    if (ei >= 0) {
      tail = body.slice(ei);
      body = body.slice(0, ei);
    }
    let sawNonzero = false;
    for (let i = 1; i < body.length; i++) {
      if (body[i] === '.') continue;
      if (body[i] !== '0') sawNonzero = true;
      if (sawNonzero) digits--;
    }
    if (!body.includes('.')) {
      if (body.length === 2 && body[1] === '0') digits--;
      body += '.';
    }
    if (digits > 0) body += '0'.repeat(digits);
    num = body + tail;
  }
  if (f.plus || num[0] !== '+') {
    if (f.zero && !f.minus && f.widPresent && f.wid > num.length) {
      return num[0] + '0'.repeat(f.wid - num.length) + num.slice(1);
    }
    return pad(f, num);
  }
  return pad(f, num.slice(1));
}

function fmtHexString(f: Flags, s: string, upper: boolean): string {
  const digits = upper ? '0123456789ABCDEF' : LOWER_HEX;
  const bytes = utf8Bytes(s);
  let length = bytes.length;
  if (f.precPresent && f.prec < length) length = f.prec;
  let width = 2 * length;
  if (width > 0) {
    if (f.space) {
      if (f.sharp) width *= 2;
      width += length - 1;
    } else if (f.sharp) width += 2;
  } else return f.widPresent ? padding(f, f.wid) : '';
  let out = '';
  if (f.widPresent && f.wid > width && !f.minus) out += padding(f, f.wid - width);
  const prefix = upper ? '0X' : '0x';
  if (f.sharp) out += prefix;
  for (let i = 0; i < length; i++) {
    if (f.space && i > 0) {
      out += ' ';
      if (f.sharp) out += prefix;
    }
    out += digits[bytes[i] >> 4] + digits[bytes[i] & 0xf];
  }
  if (f.widPresent && f.wid > width && f.minus) out += padding(f, f.wid - width);
  return out;
}

function badVerb(f: Flags, verb: string, arg: unknown): string {
  if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${printArg({ ...f, sharpV: false, plusV: false }, arg, 'v', 1)})`;
}

function goTimeString(d: Date): string {
  if (Number.isNaN(d.getTime())) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  let frac = iso.slice(20, 23).replace(/0+$/, '');
  frac = frac ? '.' + frac : '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

function printArg(f: Flags, arg: unknown, verb: string, depth: number): string {
  if (arg === null || arg === undefined) {
    if (verb === 'T' || verb === 'v') return pad(f, '<nil>');
    return depth > 0 && verb !== 'T' ? pad(f, '<nil>') : badVerb(f, verb, arg);
  }
  if (verb === 'T') return pad(f, goTypeName(arg));
  switch (typeof arg) {
    case 'boolean':
      return verb === 't' || verb === 'v' ? pad(f, String(arg)) : badVerb(f, verb, arg);
    case 'bigint':
      return printInt(f, arg, verb);
    case 'number':
      if (isIntegral(arg) && !Object.is(arg, -0)) return printInt(f, BigInt(arg), verb);
      return printFloat(f, arg, verb);
    case 'string':
      return printString(f, arg, verb);
    case 'function':
      return verb === 'v' || verb === 'p' ? pad(f, '0xc000010000') : badVerb(f, verb, arg);
  }
  if (arg instanceof Date) {
    if (verb === 'v' || verb === 's') return pad(f, goTimeString(arg));
    if (verb === 'q') return pad(f, goQuote(goTimeString(arg)));
    return badVerb(f, verb, arg);
  }
  if (Array.isArray(arg)) {
    if (f.sharpV) return '[]interface {}{' + arg.map((e) => printArg(f, e, verb, depth + 1)).join(', ') + '}';
    return '[' + arg.map((e) => printArg(f, e, verb, depth + 1)).join(' ') + ']';
  }
  const obj = arg as Record<string, unknown>;
  if (isPlainObject(obj)) {
    const keys = sortedKeys(obj);
    if (f.sharpV) {
      const body = keys.map((k) => `${printArg(f, k, verb, depth + 1)}:${printArg(f, obj[k], verb, depth + 1)}`);
      return 'map[string]interface {}{' + body.join(', ') + '}';
    }
    const body = keys.map((k) => `${printArg(f, k, verb, depth + 1)}:${printArg(f, obj[k], verb, depth + 1)}`);
    return 'map[' + body.join(' ') + ']';
  }
  const keys = Object.keys(obj);
  const fields = keys.map((k) => (f.plusV || f.sharpV ? `${k}:` : '') + printArg(f, obj[k], verb, depth + 1));
  return '{' + fields.join(f.sharpV ? ', ' : ' ') + '}';
}

function printInt(f: Flags, v: bigint, verb: string): string {
  switch (verb) {
    case 'v':
    case 'd':
      return fmtInteger(f, v, 10, verb, false);
    case 'b':
      return fmtInteger(f, v, 2, verb, false);
    case 'o':
    case 'O':
      return fmtInteger(f, v, 8, verb, false);
    case 'x':
      return fmtInteger(f, v, 16, verb, false);
    case 'X':
      return fmtInteger(f, v, 16, verb, true);
    case 'c': {
      const cp = v < 0n || v > 0x10ffffn ? 0xfffd : Number(v);
      return pad(f, String.fromCodePoint(cp));
    }
    case 'q':
      return pad(f, quoteRune(v < 0n || v > 0x10ffffn ? 0xfffd : Number(v), f.plus));
    case 'U': {
      let s = 'U+' + (v < 0n ? v.toString(16) : v.toString(16).toUpperCase().padStart(4, '0'));
      const cp = Number(v);
      if (f.sharp && v >= 0n && v <= 0x10ffffn && isGoPrint(cp)) s += ` '${String.fromCodePoint(cp)}'`;
      return pad(f, s);
    }
    // JSON numbers are float64 in Go; an integral one still formats with float verbs.
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      return printFloat(f, Number(v), verb);
  }
  return badVerb(f, verb, Number(v));
}

function printFloat(f: Flags, v: number, verb: string): string {
  switch (verb) {
    case 'v':
      return fmtFloatVerb(f, v, 'g', -1);
    case 'g':
    case 'G':
      return fmtFloatVerb(f, v, verb, -1);
    case 'e':
    case 'E':
    case 'f':
      return fmtFloatVerb(f, v, verb, 6);
    case 'F':
      return fmtFloatVerb(f, v, 'f', 6);
  }
  return badVerb(f, verb, v);
}

function printString(f: Flags, s: string, verb: string): string {
  switch (verb) {
    case 'v':
      if (f.sharpV) return pad(f, goQuote(s));
      return pad(f, truncateRunes(f, s));
    case 's':
      return pad(f, truncateRunes(f, s));
    case 'x':
      return fmtHexString(f, s, false);
    case 'X':
      return fmtHexString(f, s, true);
    case 'q': {
      const t = truncateRunes(f, s);
      if (f.sharp && canBackquote(t)) return pad(f, '`' + t + '`');
      return pad(f, goQuote(t, f.plus));
    }
  }
  return badVerb(f, verb, s);
}

function parseNum(format: string, i: number): { num: number; present: boolean; next: number } {
  let j = i;
  let num = 0;
  while (j < format.length && format[j] >= '0' && format[j] <= '9') {
    num = num * 10 + (format.charCodeAt(j) - 48);
    if (num > 1e6) return { num: 0, present: false, next: format.length };
    j++;
  }
  return { num, present: j > i, next: j };
}

/** Go's fmt.Sprintf for the verbs a template can reasonably use. */
export function sprintf(format: string, ...args: unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  const end = format.length;
  let i = 0;
  const argNumber = (at: number): { at: number; found: boolean; ok: boolean } => {
    if (at >= end || format[at] !== '[') return { at, found: false, ok: true };
    reordered = true;
    const close = format.indexOf(']', at + 1);
    if (close < 0) return { at, found: false, ok: false };
    const n = /^\d+$/.test(format.slice(at + 1, close)) ? Number(format.slice(at + 1, close)) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > args.length) return { at: close + 1, found: true, ok: false };
    argNum = n - 1;
    return { at: close + 1, found: true, ok: true };
  };
  const intFromArg = (): { v: number; ok: boolean } => {
    if (argNum >= args.length) return { v: 0, ok: false };
    const a = args[argNum++];
    if (typeof a === 'number' && Number.isInteger(a) && Math.abs(a) <= 1e6) return { v: a, ok: true };
    return { v: 0, ok: false };
  };
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f = newFlags();
    let goodArgNum = true;
    for (; i < end; i++) {
      const c = format[i];
      if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = !f.minus;
      else if (c === '+') f.plus = true;
      else if (c === '-') {
        f.minus = true;
        f.zero = false;
      } else if (c === ' ') f.space = true;
      else break;
    }
    let r = argNumber(i);
    i = r.at;
    goodArgNum &&= r.ok;
    let afterIndex = r.found;
    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg();
      f.wid = w.v;
      f.widPresent = w.ok;
      if (!w.ok) out += '%!(BADWIDTH)';
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;
      }
      afterIndex = false;
    } else {
      const p = parseNum(format, i);
      f.wid = p.num;
      f.widPresent = p.present;
      i = p.next;
      if (afterIndex && f.widPresent) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      r = argNumber(i);
      i = r.at;
      goodArgNum &&= r.ok;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const p = intFromArg();
        f.prec = p.v;
        f.precPresent = p.ok;
        if (f.prec < 0) {
          f.prec = 0;
          f.precPresent = false;
        }
        if (!p.ok) out += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const p = parseNum(format, i);
        f.prec = p.present ? p.num : 0;
        f.precPresent = true;
        i = p.next;
      }
    }
    if (!afterIndex) {
      r = argNumber(i);
      i = r.at;
      goodArgNum &&= r.ok;
    }
    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') out += '%';
    else if (!goodArgNum) out += `%!${verb}(BADINDEX)`;
    else if (argNum >= args.length) out += `%!${verb}(MISSING)`;
    else {
      if (verb === 'v') {
        f.sharpV = f.sharp;
        f.sharp = false;
        f.plusV = f.plus;
        f.plus = false;
      }
      out += printArg(f, args[argNum], verb, 0);
      argNum++;
    }
  }
  if (!reordered && argNum < args.length) {
    const extra = args.slice(argNum).map((a) =>
      a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${printArg(newFlags(), a, 'v', 0)}`,
    );
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(...args: unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += printArg(newFlags(), a, 'v', 0);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(...args: unknown[]): string {
  return args.map((a) => printArg(newFlags(), a, 'v', 0)).join(' ') + '\n';
}

/** Go's `%v` of a value: `<nil>`, `[a b]`, `map[k:v]`, integral numbers as ints. */
export function formatValue(v: unknown): string {
  return printArg(newFlags(), v, 'v', 0);
}

// ---------------------------------------------------------------------------
// encoding/json as Docker's `json` function uses it (SetEscapeHTML(false))

function jsonString(s: string): string {
  return JSON.stringify(wellFormed(s)).replace(/[\u2028\u2029]/g, (c) => '\\u' + hexPad(c.charCodeAt(0), 4));
}

function goRFC3339Nano(d: Date): string {
  const iso = d.toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? '.' + frac : ''}Z`;
}

class JSONUnsupported extends Error {}

function toGoJSON(v: unknown, seen: Set<unknown>): string | undefined {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'boolean':
      return String(v);
    case 'number':
      if (!Number.isFinite(v)) throw new JSONUnsupported(`json: unsupported value: ${formatValue(v)}`);
      return Object.is(v, -0) ? '-0' : JSON.stringify(v);
    case 'bigint':
      return v.toString();
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (seen.has(v)) throw new JSONUnsupported('json: unsupported value: encountered a cycle');
  seen.add(v);
  try {
    if (v instanceof Date) return jsonString(goRFC3339Nano(v));
    if (Array.isArray(v)) return '[' + v.map((e) => toGoJSON(e, seen) ?? 'null').join(',') + ']';
    const withToJSON = v as { toJSON?: () => unknown };
    if (typeof withToJSON.toJSON === 'function') return toGoJSON(withToJSON.toJSON(), seen);
    const parts: string[] = [];
    for (const [k, val] of Object.entries(v as object)) {
      if (val === undefined) continue;
      const enc = toGoJSON(val, seen);
      if (enc !== undefined) parts.push(`${jsonString(k)}:${enc}`);
    }
    return '{' + parts.join(',') + '}';
  } finally {
    seen.delete(v);
  }
}

/**
 * Docker's `json` template function: compact encoding/json output without the
 * trailing newline. Docker turns off HTML escaping (`<`, `>`, `&` stay literal).
 * Object keys keep their insertion order (Docker marshals structs in field order).
 */
export function goJSON(v: unknown): string {
  try {
    return toGoJSON(v, new Set()) ?? 'null';
  } catch (err) {
    // Docker ignores the encoder's error and prints what was buffered: nothing.
    if (err instanceof JSONUnsupported) return '';
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Docker's template functions (github.com/docker/cli/templates)

function goTitle(s: string): string {
  const isSeparator = (ch: string): boolean => {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0x7f) return !/[0-9a-zA-Z_]/.test(ch);
    if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
    return /\s/u.test(ch);
  };
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? caseOne(ch, 'upper') : ch;
    prev = ch;
  }
  return out;
}

/** Go maps case one rune to one rune; JavaScript may expand ("ß" -> "SS"), which Go does not. */
function caseOne(ch: string, to: 'upper' | 'lower'): string {
  const mapped = to === 'upper' ? ch.toUpperCase() : ch.toLowerCase();
  return runeCount(mapped) === 1 ? mapped : ch;
}

function goCase(s: string, to: 'upper' | 'lower'): string {
  let out = '';
  for (const ch of s) out += caseOne(ch, to);
  return out;
}

function goSplit(s: string, sep: string): string[] {
  if (sep === '') return Array.from(s);
  return s.split(sep);
}

function goTruncate(s: string, n: number): string {
  const b = utf8Bytes(s);
  if (b.length < n) return s;
  return b.subarray(0, n).toString('utf8');
}

function goPad(s: string, left: number, right: number): string {
  if (s === '') return s;
  if (left < 0 || right < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(left) + s + ' '.repeat(right);
}

// ---------------------------------------------------------------------------
// Builtins

type ParamKind = 'any' | 'string' | 'int' | 'strings';
interface Builtin {
  fn: TemplateFunc;
  params: ParamKind[];
  variadic?: ParamKind;
}

class FuncError extends Error {}

function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
    case 'function':
      return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

type BasicKind = 'bool' | 'number' | 'string' | 'invalid';
function basicKind(v: unknown): BasicKind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
  }
  return 'invalid';
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

const isNilish = (v: unknown): boolean => v === null || v === undefined;

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    let t: boolean;
    if (k1 !== k2) {
      // Comparing with nil is false, not an error; other mixes are errors.
      if (!isNilish(a) && !isNilish(b)) throw new FuncError('incompatible types for comparison');
      t = false;
    } else if (k1 === 'number') t = num(a) === num(b);
    else if (k1 !== 'invalid') t = a === b;
    else if (isNilish(a) || isNilish(b)) t = isNilish(a) === isNilish(b);
    else if (goTypeName(a) !== goTypeName(b)) {
      throw new FuncError(
        `non-comparable types ${formatValue(a)}: ${goTypeName(a)}, ${goTypeName(b)}: ${formatValue(b)}`,
      );
    } else if (Array.isArray(b) || isPlainObject(b) || typeof b === 'function') {
      throw new FuncError(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
    } else t = a === b;
    if (t) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') throw new FuncError('invalid type for comparison');
  if (k1 !== k2) throw new FuncError('incompatible types for comparison');
  if (k1 === 'bool') throw new FuncError('invalid type for comparison');
  if (k1 === 'number') return num(a) < num(b);
  return compareGo(a as string, b as string) < 0;
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

function indexArg(i: unknown, cap: number): number {
  if (i === null || i === undefined) throw new FuncError('cannot index slice/array with nil');
  if (typeof i === 'bigint') i = Number(i);
  if (typeof i !== 'number' || !isIntegral(i)) {
    throw new FuncError(`cannot index slice/array with type ${goTypeName(i)}`);
  }
  if (i < 0 || i > cap) throw new FuncError(`index out of range: ${i}`);
  return i;
}

function indexFn(item: unknown, ...indexes: unknown[]): unknown {
  let v = item;
  for (const idx of indexes) {
    if (v === null || v === undefined) throw new FuncError('index of untyped nil');
    if (typeof v === 'string') {
      const b = utf8Bytes(v);
      const x = indexArg(idx, b.length);
      if (x === b.length) throw new FuncError(`index out of range: ${x}`);
      v = b[x];
    } else if (Array.isArray(v)) {
      const x = indexArg(idx, v.length);
      if (x === v.length) throw new FuncError(`index out of range: ${x}`);
      v = v[x];
    } else if (typeof v === 'object') {
      if (typeof idx !== 'string') {
        throw new FuncError(`value has type ${goTypeName(idx)}; should be string`);
      }
      v = Object.prototype.hasOwnProperty.call(v, idx) ? (v as Record<string, unknown>)[idx] : undefined;
    } else throw new FuncError(`can't index item of type ${goTypeName(v)}`);
  }
  return v;
}

function sliceFn(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    len = utf8Bytes(item).length;
  } else if (Array.isArray(item)) len = item.length;
  else throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((x, i) => (idx[i] = indexArg(x, len)));
  if (idx[0] > idx[1]) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') return utf8Bytes(item).subarray(idx[0], idx[1]).toString('utf8');
  return item.slice(idx[0], idx[1]);
}

function lenFn(item: unknown): number {
  if (item === null || item === undefined) throw new FuncError('len of nil pointer');
  if (typeof item === 'string') return utf8Bytes(item).length;
  if (Array.isArray(item)) return item.length;
  if (isPlainObject(item)) return Object.keys(item).length;
  throw new FuncError(`len of type ${goTypeName(item)}`);
}

function evalArgsString(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(...args);
}

function htmlEscape(...args: unknown[]): string {
  const map: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' };
  return evalArgsString(args).replace(/["'&<>]/g, (c) => map[c]);
}

function jsEscape(...args: unknown[]): string {
  let out = '';
  for (const ch of wellFormed(evalArgsString(args))) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += '\\u' + hexPad(cp, 4).toUpperCase();
    else if (cp < 0x80 || isGoPrint(cp)) out += ch;
    else out += '\\u' + hexPad(cp, 4).toUpperCase();
  }
  return out;
}

function urlQueryEscape(...args: unknown[]): string {
  let out = '';
  for (const byte of utf8Bytes(evalArgsString(args))) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const BUILTINS: Record<string, Builtin> = {
  and: { fn: () => undefined, params: ['any'], variadic: 'any' },
  or: { fn: () => undefined, params: ['any'], variadic: 'any' },
  not: { fn: (a: unknown) => !truth(a), params: ['any'] },
  call: {
    // The executor passes the callee's source text first, for Go's error wording.
    fn: (name: string, fn: unknown, ...args: unknown[]) => {
      if (typeof fn !== 'function') throw new FuncError(`non-function ${name} of type ${goTypeName(fn)}`);
      return fn(...args);
    },
    params: ['any'],
    variadic: 'any',
  },
  html: { fn: htmlEscape, params: [], variadic: 'any' },
  js: { fn: jsEscape, params: [], variadic: 'any' },
  urlquery: { fn: urlQueryEscape, params: [], variadic: 'any' },
  index: { fn: indexFn, params: ['any'], variadic: 'any' },
  slice: { fn: sliceFn, params: ['any'], variadic: 'any' },
  len: { fn: lenFn, params: ['any'] },
  print: { fn: sprint, params: [], variadic: 'any' },
  printf: { fn: sprintf, params: ['string'], variadic: 'any' },
  println: { fn: sprintln, params: [], variadic: 'any' },
  eq: { fn: eq, params: ['any'], variadic: 'any' },
  ne: { fn: (a: unknown, b: unknown) => !eq(a, b), params: ['any', 'any'] },
  lt: { fn: lt, params: ['any', 'any'] },
  le: { fn: le, params: ['any', 'any'] },
  gt: { fn: (a: unknown, b: unknown) => !le(a, b), params: ['any', 'any'] },
  ge: { fn: (a: unknown, b: unknown) => !lt(a, b), params: ['any', 'any'] },
  // Docker's basicFunctions.
  json: { fn: goJSON, params: ['any'] },
  split: { fn: goSplit, params: ['string', 'string'] },
  join: { fn: (l: string[], sep: string) => l.join(sep), params: ['strings', 'string'] },
  title: { fn: goTitle, params: ['string'] },
  lower: { fn: (s: string) => goCase(s, 'lower'), params: ['string'] },
  upper: { fn: (s: string) => goCase(s, 'upper'), params: ['string'] },
  pad: { fn: goPad, params: ['string', 'int', 'int'] },
  truncate: { fn: goTruncate, params: ['string', 'int'] },
};

const identity = (v: unknown): unknown => v;

/**
 * Docker's HeaderFunctions: rendering a `table` format against a header map with
 * these keeps the column names intact (pad is deliberately not overridden).
 */
export const headerFuncs: FuncMap = {
  json: identity,
  split: identity,
  join: identity,
  title: identity,
  lower: identity,
  upper: identity,
  truncate: identity,
};

// ---------------------------------------------------------------------------
// Lexer

type TokType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'EOF'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

const KEYWORDS: Record<string, TokType> = {
  '.': 'dot',
  block: 'block',
  break: 'break',
  continue: 'continue',
  define: 'define',
  else: 'else',
  end: 'end',
  if: 'if',
  range: 'range',
  nil: 'nil',
  template: 'template',
  with: 'with',
};
const KEYWORD_TYPES = new Set(Object.values(KEYWORDS));

interface Token {
  typ: TokType;
  pos: number;
  val: string;
}

function tokenString(t: Token): string {
  if (t.typ === 'EOF') return 'EOF';
  if (t.typ === 'error') return t.val;
  if (KEYWORD_TYPES.has(t.typ)) return `<${t.val}>`;
  if (runeCount(t.val) > 10) return goQuote(Array.from(t.val).slice(0, 10).join('')) + '...';
  return goQuote(t.val);
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && /^[_\p{L}\p{Nd}]$/u.test(c);

function formatRuneU(ch: string): string {
  const cp = ch.codePointAt(0)!;
  let s = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  if (isGoPrint(cp)) s += ` '${ch}'`;
  return s;
}

function lex(input: string): Token[] {
  const toks: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  const emit = (typ: TokType): void => {
    toks.push({ typ, pos: start, val: input.slice(start, pos) });
    start = pos;
  };
  const fail = (msg: string): null => {
    toks.push({ typ: 'error', pos: start, val: msg });
    return null;
  };
  const peekCh = (): string | undefined => (pos < input.length ? String.fromCodePoint(input.codePointAt(pos)!) : undefined);
  const nextCh = (): string | undefined => {
    const c = peekCh();
    if (c !== undefined) pos += c.length;
    return c;
  };
  const accept = (valid: string): boolean => {
    const c = peekCh();
    if (c !== undefined && valid.includes(c)) {
      pos += c.length;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string): void => {
    while (accept(valid));
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (input.startsWith('}}', pos)) return { delim: true, trim: false };
    if (isSpace(input[pos]) && input[pos + 1] === '-' && input.startsWith('}}', pos + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const c = peekCh();
    if (c === undefined || isSpace(c)) return true;
    return '.,|:)('.includes(c) || input.startsWith('}}', pos);
  };
  const leftTrim = (at: number): number => {
    let p = at;
    while (isSpace(input[p])) p++;
    return p;
  };

  type State = () => State | null;

  const lexText: State = () => {
    const i = input.indexOf('{{', pos);
    if (i < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      emit('EOF');
      return null;
    }
    const trim = input[i + 2] === '-' && isSpace(input[i + 3]);
    let textEnd = i;
    if (trim) while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > start) {
      pos = textEnd;
      emit('text');
    }
    start = i;
    pos = i + 2;
    const afterMarker = trim ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      pos += afterMarker;
      start = pos;
      return lexComment;
    }
    emit('leftDelim');
    pos += afterMarker;
    start = pos;
    parenDepth = 0;
    return lexInsideAction;
  };

  const lexComment: State = () => {
    pos += 2;
    const x = input.indexOf('*/', pos);
    if (x < 0) return fail('unclosed comment');
    pos = x + 2;
    const { delim, trim } = atRightDelim();
    if (!delim) return fail('comment ends before closing delimiter');
    if (trim) pos += 2;
    pos += 2;
    if (trim) pos = leftTrim(pos);
    start = pos;
    return lexText;
  };

  const lexRightDelim = (trim: boolean): State => {
    if (trim) {
      pos += 2;
      start = pos;
    }
    pos += 2;
    emit('rightDelim');
    if (trim) {
      pos = leftTrim(pos);
      start = pos;
    }
    return lexText;
  };

  const lexSpace: State = () => {
    let numSpaces = 0;
    while (isSpace(peekCh())) {
      nextCh();
      numSpaces++;
    }
    if (input[pos - 1] !== undefined && isSpace(input[pos - 1]) && input[pos] === '-' && input.startsWith('}}', pos + 1)) {
      pos--;
      if (numSpaces === 1) return lexRightDelim(true);
    }
    emit('space');
    return lexInsideAction;
  };

  const lexFieldOrVariable = (typ: 'field' | 'variable'): State | null => {
    if (atTerminator()) {
      emit(typ === 'variable' ? 'variable' : 'dot');
      return lexInsideAction;
    }
    let c: string | undefined;
    for (;;) {
      c = peekCh();
      if (!isAlphaNumeric(c)) break;
      nextCh();
    }
    if (!atTerminator()) return fail(`bad character ${formatRuneU(c!)}`);
    emit(typ);
    return lexInsideAction;
  };

  const lexIdentifier: State = () => {
    while (isAlphaNumeric(peekCh())) nextCh();
    if (!atTerminator()) return fail(`bad character ${formatRuneU(peekCh()!)}`);
    const word = input.slice(start, pos);
    if (KEYWORDS[word] && word !== '.') emit(KEYWORDS[word]);
    else if (word === 'true' || word === 'false') emit('bool');
    else emit('identifier');
    return lexInsideAction;
  };

  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peekCh())) {
      nextCh();
      return false;
    }
    return true;
  };

  const lexNumber: State = () => {
    if (!scanNumber()) return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
    const sign = peekCh();
    if (sign === '+' || sign === '-') {
      if (!scanNumber() || input[pos - 1] !== 'i') return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
      emit('complex');
    } else emit('number');
    return lexInsideAction;
  };

  const lexQuoted = (q: string, typ: TokType, msg: string): State | null => {
    for (;;) {
      let c = nextCh();
      if (c === '\\' && q !== '`') {
        c = nextCh();
        if (c !== undefined && c !== '\n') continue;
        return fail(msg);
      }
      if (c === undefined || (c === '\n' && q !== '`')) return fail(msg);
      if (c === q) break;
    }
    emit(typ);
    return lexInsideAction;
  };

  const lexInsideAction: State = () => {
    const { delim, trim } = atRightDelim();
    if (delim) {
      if (parenDepth === 0) return lexRightDelim(trim);
      return fail('unclosed left paren');
    }
    const c = nextCh();
    if (c === undefined) return fail('unclosed action');
    if (isSpace(c)) {
      pos -= c.length;
      return lexSpace;
    }
    switch (c) {
      case '=':
        emit('assign');
        return lexInsideAction;
      case ':':
        if (nextCh() !== '=') return fail('expected :=');
        emit('declare');
        return lexInsideAction;
      case '|':
        emit('pipe');
        return lexInsideAction;
      case '"':
        return lexQuoted('"', 'string', 'unterminated quoted string');
      case '`':
        return lexQuoted('`', 'rawString', 'unterminated raw quoted string');
      case "'":
        return lexQuoted("'", 'charConstant', 'unterminated character constant');
      case '$':
        return lexFieldOrVariable('variable');
      case '(':
        emit('leftParen');
        parenDepth++;
        return lexInsideAction;
      case ')':
        parenDepth--;
        if (parenDepth < 0) return fail('unexpected right paren');
        emit('rightParen');
        return lexInsideAction;
    }
    if (c === '.') {
      const n = input[pos];
      if (n === undefined || n < '0' || n > '9') return lexFieldOrVariable('field');
    }
    if (c === '.' || c === '+' || c === '-' || (c >= '0' && c <= '9')) {
      pos -= c.length;
      return lexNumber;
    }
    if (isAlphaNumeric(c)) {
      pos -= c.length;
      return lexIdentifier;
    }
    const cp = c.codePointAt(0)!;
    if (cp < 0x80 && isGoPrint(cp)) {
      emit('char');
      return lexInsideAction;
    }
    return fail(`unrecognized character in action: ${formatRuneU(c)}`);
  };

  let state: State | null = lexText;
  while (state) state = state();
  return toks;
}

// ---------------------------------------------------------------------------
// Literal parsing (strconv.Unquote and Go number syntax)

function unquote(lit: string): string {
  const q = lit[0];
  const body = lit.slice(1, -1);
  if (q === '`') return body.replace(/\r/g, '');
  const bytes: number[] = [];
  const pushStr = (s: string): void => {
    for (const b of utf8Bytes(s)) bytes.push(b);
  };
  const bad = (): never => {
    throw new SyntaxError('invalid syntax');
  };
  let i = 0;
  while (i < body.length) {
    const cp = body.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ch === q && q === "'") bad();
    if (ch !== '\\') {
      pushStr(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e in simple) pushStr(simple[e]);
    else if (e === q) pushStr(q);
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i, i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) bad();
      i += n;
      const v = parseInt(hex, 16);
      if (e === 'x') {
        if (q === "'") pushStr(String.fromCodePoint(v));
        else bytes.push(v);
      } else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) bad();
        pushStr(String.fromCodePoint(v));
      }
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct)) bad();
      const v = parseInt(oct, 8);
      if (v > 255) bad();
      i += 2;
      if (q === "'") pushStr(String.fromCodePoint(v));
      else bytes.push(v);
    } else bad();
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseNumber(text: string, typ: TokType): number {
  const illegal = (): never => {
    throw new SyntaxError(`illegal number syntax: ${goQuote(text)}`);
  };
  if (typ === 'charConstant') {
    let s: string;
    try {
      s = unquote(text);
    } catch {
      throw new SyntaxError(`malformed character constant: ${text}`);
    }
    if (runeCount(s) !== 1) throw new SyntaxError(`malformed character constant: ${text}`);
    return s.codePointAt(0)!;
  }
  if (typ === 'complex' || text.endsWith('i')) throw new SyntaxError(`complex numbers are not supported: ${goQuote(text)}`);
  let s = text;
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  const prefix = /^0[xXoObB]/.test(s) ? s.slice(0, 2).toLowerCase() : '';
  // Underscores are only legal between digits (or right after a base prefix).
  if (s.includes('_')) {
    const body = prefix ? s.slice(2) : s;
    if (!prefix && !/^\d/.test(s)) illegal();
    if (/__|_$|_[.eEpP]|[.eEpP]_/.test(body) || (!prefix && s.startsWith('_'))) illegal();
    s = s.replace(/_/g, '');
  }
  let v: number;
  if (prefix === '0x') {
    const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i.exec(s);
    if (!m || (m[1] === '' && !m[2])) illegal();
    const mm = m as RegExpExecArray;
    if ((mm[2] !== undefined || s.includes('.')) && mm[3] === undefined) illegal();
    const frac = mm[2] ?? '';
    v = parseInt((mm[1] || '0') + frac, 16) / 16 ** frac.length;
    if (mm[3] !== undefined) v *= 2 ** Number(mm[3]);
  } else if (prefix === '0o' || prefix === '0b') {
    const digits = s.slice(2);
    const re = prefix === '0o' ? /^[0-7]+$/ : /^[01]+$/;
    if (!re.test(digits)) illegal();
    v = parseInt(digits, prefix === '0o' ? 8 : 2);
  } else if (/^0[0-7]+$/.test(s)) v = parseInt(s, 8);
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    if (/^0\d*[89]\d*$/.test(s)) illegal();
    v = Number(s);
  } else return illegal();
  if (!Number.isFinite(v)) illegal();
  return sign * v;
}

// ---------------------------------------------------------------------------
// AST

interface BaseNode {
  pos: number;
}
interface FieldNode extends BaseNode {
  t: 'field';
  idents: string[];
}
interface VariableNode extends BaseNode {
  t: 'variable';
  idents: string[]; // idents[0] is "$name"
}
interface ChainNode extends BaseNode {
  t: 'chain';
  node: ArgNode;
  fields: string[];
}
interface IdentNode extends BaseNode {
  t: 'identifier';
  name: string;
}
interface LiteralNode extends BaseNode {
  t: 'bool' | 'number' | 'string' | 'nil' | 'dot';
  value: unknown;
  text: string;
  isInt?: boolean;
}
interface PipeNode extends BaseNode {
  t: 'pipe';
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
interface CommandNode extends BaseNode {
  t: 'command';
  args: ArgNode[];
}
type ArgNode = FieldNode | VariableNode | ChainNode | IdentNode | LiteralNode | PipeNode;

interface TextNode extends BaseNode {
  t: 'text';
  text: string;
}
interface ActionNode extends BaseNode {
  t: 'action';
  pipe: PipeNode;
}
interface BranchNode extends BaseNode {
  t: 'if' | 'with' | 'range';
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
interface TemplateNode extends BaseNode {
  t: 'template';
  name: string;
  pipe?: PipeNode;
}
interface LoopControlNode extends BaseNode {
  t: 'break' | 'continue';
}
interface EndNode extends BaseNode {
  t: 'end' | 'else';
}
type ListNode = ItemNode[];
type ItemNode = TextNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;
type AnyNode = ArgNode | CommandNode | ItemNode | EndNode;

function nodeString(n: AnyNode): string {
  switch (n.t) {
    case 'field':
      return '.' + n.idents.join('.');
    case 'variable':
      return n.idents.join('.');
    case 'chain': {
      const inner = n.node.t === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return inner + '.' + n.fields.join('.');
    }
    case 'identifier':
      return n.name;
    case 'bool':
    case 'number':
    case 'string':
    case 'nil':
    case 'dot':
      return n.text;
    case 'pipe': {
      let s = '';
      if (n.decl.length) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.t === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'text':
      return goQuote(n.text);
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'with':
    case 'range': {
      const list = (l: ListNode): string => l.map(nodeString).join('');
      const els = n.elseList ? `{{else}}${list(n.elseList)}` : '';
      return `{{${n.t} ${nodeString(n.pipe)}}}${list(n.list)}${els}{{end}}`;
    }
    case 'template':
      return n.pipe ? `{{template ${goQuote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${goQuote(n.name)}}}`;
    case 'break':
    case 'continue':
    case 'end':
    case 'else':
      return `{{${n.t}}}`;
  }
}

// ---------------------------------------------------------------------------
// Parser

class ParseError extends Error {}

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private lastPos = 0;
  private actionLine = 0;
  readonly trees = new Map<string, ListNode>();

  constructor(
    private readonly text: string,
    private readonly toks: Token[],
    private readonly hasFunc: (name: string) => boolean,
  ) {}

  private lineOf(pos: number): number {
    let n = 1;
    for (let k = 0; k < pos && k < this.text.length; k++) if (this.text[k] === '\n') n++;
    return n;
  }

  private errorf(msg: string): never {
    throw new ParseError(`template: :${this.lineOf(this.lastPos)}: ${msg}`);
  }

  private next(): Token {
    const t = this.toks[Math.min(this.i, this.toks.length - 1)];
    this.i++;
    this.lastPos = t.pos;
    if (t.typ === 'error') {
      let extra = '';
      const line = this.lineOf(t.pos);
      if (this.actionLine !== 0 && this.actionLine !== line) extra = ` in action started at :${this.actionLine}`;
      this.errorf(t.val + extra);
    }
    return t;
  }
  private backup(n = 1): void {
    this.i -= n;
  }
  private peek(): Token {
    return this.toks[Math.min(this.i, this.toks.length - 1)];
  }
  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.typ === 'space');
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private unexpected(t: Token, context: string): never {
    return this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }
  private expect(typ: TokType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }

  parse(): ListNode {
    const root: ListNode = [];
    while (this.peek().typ !== 'EOF') {
      if (this.peek().typ === 'leftDelim') {
        const save = this.i;
        this.next();
        if (this.nextNonSpace().typ === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.push(n as ItemNode);
    }
    this.next();
    return root;
  }

  private addTree(name: string, list: ListNode): void {
    const old = this.trees.get(name);
    const isEmpty = (l: ListNode): boolean => l.every((n) => n.t === 'text' && n.text.trim() === '');
    if (old === undefined || isEmpty(old)) this.trees.set(name, list);
    else if (!isEmpty(list)) this.errorf(`template: multiple definition of template ${goQuote(name)}`);
  }

  private withScope<T>(fn: () => T): T {
    const vars = this.vars;
    const depth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    try {
      return fn();
    } finally {
      this.vars = vars;
      this.rangeDepth = depth;
    }
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const t = this.nextNonSpace();
    if (t.typ !== 'string' && t.typ !== 'rawString') this.unexpected(t, context);
    const name = this.unquoteOrFail(t.val);
    this.expect('rightDelim', context);
    this.withScope(() => {
      const [list, end] = this.itemList();
      if (end.t !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
      this.addTree(name, list);
    });
  }

  private unquoteOrFail(lit: string): string {
    try {
      return unquote(lit);
    } catch (err) {
      return this.errorf((err as Error).message);
    }
  }

  private itemList(): [ListNode, EndNode] {
    const list: ListNode = [];
    while (this.peekNonSpace().typ !== 'EOF') {
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') return [list, n as EndNode];
      list.push(n as ItemNode);
    }
    return this.errorf('unexpected EOF');
  }

  private textOrAction(): ItemNode | EndNode {
    const t = this.nextNonSpace();
    if (t.typ === 'text') return { t: 'text', pos: t.pos, text: t.val };
    if (t.typ === 'leftDelim') {
      this.actionLine = this.lineOf(t.pos);
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    return this.unexpected(t, 'input');
  }

  private action(): ItemNode | EndNode {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case 'block':
        return this.blockControl();
      case 'break':
      case 'continue': {
        const close = this.nextNonSpace();
        if (close.typ !== 'rightDelim') this.unexpected(close, `{{${t.typ}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${t.typ}}} outside {{range}}`);
        return { t: t.typ, pos: t.pos };
      }
      case 'else': {
        const p = this.peekNonSpace();
        if (p.typ === 'if' || p.typ === 'with') return { t: 'else', pos: p.pos };
        this.expect('rightDelim', 'else');
        return { t: 'else', pos: t.pos };
      }
      case 'end':
        this.expect('rightDelim', 'end');
        return { t: 'end', pos: t.pos };
      case 'if':
      case 'range':
      case 'with':
        return this.control(t.typ);
      case 'template':
        return this.templateControl();
    }
    this.backup();
    return { t: 'action', pos: this.peek().pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private control(context: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let list: ListNode;
      let next: EndNode;
      try {
        [list, next] = this.itemList();
      } finally {
        if (context === 'range') this.rangeDepth--;
      }
      let elseList: ListNode | undefined;
      if (next.t === 'else') {
        // {{else if x}} / {{else with x}} is sugar for {{else}}{{if x}}...{{end}}{{end}}.
        if ((context === 'if' || context === 'with') && this.peekNonSpace().typ === context) {
          this.nextNonSpace();
          elseList = [this.control(context)];
        } else {
          let end: EndNode;
          [elseList, end] = this.itemList();
          if (end.t !== 'end') this.errorf(`expected end; found ${nodeString(end)}`);
        }
      }
      return { t: context, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private templateName(t: Token, context: string): string {
    if (t.typ === 'string' || t.typ === 'rawString') return this.unquoteOrFail(t.val);
    return this.unexpected(t, context);
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().typ !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { t: 'template', pos: t.pos, name, pipe };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    const pipe = this.pipeline(context, 'rightDelim');
    this.withScope(() => {
      const [list, end] = this.itemList();
      if (end.t !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
      this.addTree(name, list);
    });
    return { t: 'template', pos: t.pos, name, pipe };
  }

  private pipeline(context: string, end: TokType): PipeNode {
    const pipe: PipeNode = { t: 'pipe', pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== 'variable') break;
      const atVariable = this.i;
      this.next();
      const nxt = this.peekNonSpace();
      if (nxt.typ === 'assign' || nxt.typ === 'declare') {
        pipe.isAssign = nxt.typ === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ t: 'variable', pos: v.pos, idents: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (nxt.typ === 'char' && nxt.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ t: 'variable', pos: v.pos, idents: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      // Not a declaration: "$x" starts the first command.
      this.i = atVariable;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0].t;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { t: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === 'space') continue;
      if (t.typ === 'rightDelim' || t.typ === 'rightParen') this.backup();
      else if (t.typ !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().typ !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().typ === 'field') fields.push(this.next().val.slice(1));
    switch (node.t) {
      case 'field':
        return { t: 'field', pos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { t: 'variable', pos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
    }
    return { t: 'chain', pos, node, fields };
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case 'identifier':
        if (!this.hasFunc(t.val)) this.errorf(`function ${goQuote(t.val)} not defined`);
        return { t: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { t: 'dot', pos: t.pos, value: undefined, text: '.' };
      case 'nil':
        return { t: 'nil', pos: t.pos, value: null, text: 'nil' };
      case 'variable':
        if (!this.vars.includes(t.val)) this.errorf(`undefined variable ${goQuote(t.val)}`);
        return { t: 'variable', pos: t.pos, idents: [t.val] };
      case 'field':
        return { t: 'field', pos: t.pos, idents: [t.val.slice(1)] };
      case 'bool':
        return { t: 'bool', pos: t.pos, value: t.val === 'true', text: t.val };
      case 'charConstant':
      case 'complex':
      case 'number': {
        let value: number;
        try {
          value = parseNumber(t.val, t.typ);
        } catch (err) {
          return this.errorf((err as Error).message);
        }
        return { t: 'number', pos: t.pos, value, text: t.val, isInt: Number.isInteger(value) };
      }
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { t: 'string', pos: t.pos, value: this.unquoteOrFail(t.val), text: t.val };
    }
    this.backup();
    return null;
  }
}

// ---------------------------------------------------------------------------
// Execution

class ExecError extends Error {}
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
const MAX_DEPTH = 1000;

interface Variable {
  name: string;
  value: unknown;
}

/** Looks a field up on own and class-defined properties, never Object.prototype's. */
function lookupField(obj: object, name: string): { found: boolean; value?: unknown } {
  let o: object | null = obj;
  while (o !== null && o !== Object.prototype && o !== Function.prototype && o !== Array.prototype) {
    if (Object.prototype.hasOwnProperty.call(o, name)) {
      return { found: true, value: (obj as Record<string, unknown>)[name] };
    }
    o = Object.getPrototypeOf(o);
  }
  return { found: false };
}

class Exec {
  private vars: Variable[];
  private node: AnyNode | undefined;
  private out = '';
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly trees: Map<string, ListNode>,
    private readonly lookupFunc: (name: string) => { fn: TemplateFunc; builtin?: Builtin } | undefined,
    private readonly missingKey: 'default' | 'error',
    private tmplName: string,
    dot: unknown,
  ) {
    this.vars = [{ name: '$', value: dot }];
  }

  run(list: ListNode, dot: unknown): string {
    this.walkList(dot, list);
    return this.out;
  }

  private errorf(msg: string): never {
    if (!this.node) throw new ExecError(`template: ${this.tmplName}: ${msg}`);
    const pos = this.node.pos;
    const before = this.text.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    const col = Buffer.byteLength(nl < 0 ? before : before.slice(nl + 1), 'utf8');
    const context = nodeString(this.node);
    throw new ExecError(`template: :${line}:${col}: executing ${goQuote(this.tmplName)} at <${context}>: ${msg}`);
  }

  private at(n: AnyNode): void {
    this.node = n;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return this.errorf(`undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private walkList(dot: unknown, list: ListNode): void {
    for (const n of list) this.walk(dot, n);
  }

  private walk(dot: unknown, n: ItemNode): void {
    switch (n.t) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        this.at(n);
        const val = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.printValue(n, val);
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        try {
          const val = this.evalPipeline(dot, n.pipe);
          if (truth(val)) this.walkList(n.t === 'with' ? val : dot, n.list);
          else if (n.elseList) this.walkList(dot, n.elseList);
        } finally {
          this.vars.length = mark;
        }
        return;
      }
      case 'range':
        return this.walkRange(dot, n);
      case 'template':
        return this.walkTemplate(dot, n);
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0].idents[0], decl.length > 1 ? index : elem);
          else this.vars[this.vars.length - 1].value = elem;
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1].idents[0], elem);
          else this.vars[this.vars.length - 2].value = index;
        }
        try {
          this.walkList(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = mark;
        }
      };
      let ran = false;
      try {
        if (Array.isArray(val)) {
          val.forEach((e, i) => {
            ran = true;
            one(i, e);
          });
        } else if (typeof val === 'number' || typeof val === 'bigint') {
          const count = Number(val);
          if (!Number.isInteger(count)) this.errorf(`range can't iterate over ${formatValue(val)}`);
          if (decl.length > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
          for (let i = 0; i < count; i++) {
            ran = true;
            one(i, i);
          }
        } else if (val === null || val === undefined) {
          // A nil map or missing value: not an error, just nothing to iterate.
        } else if (isPlainObject(val)) {
          for (const k of sortedKeys(val)) {
            ran = true;
            one(k, val[k]);
          }
        } else this.errorf(`range can't iterate over ${formatValue(val)}`);
      } catch (e) {
        if (e !== BREAK) throw e;
      }
      if (!ran && r.elseList) this.walkList(dot, r.elseList);
    } finally {
      this.vars.length = outer;
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const list = this.trees.get(t.name);
    if (!list) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const saved = { vars: this.vars, name: this.tmplName };
    this.vars = [{ name: '$', value: newDot }];
    this.tmplName = t.name;
    this.depth++;
    try {
      this.walkList(newDot, list!);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.tmplName = saved.name;
    }
  }

  private printValue(n: AnyNode, v: unknown): void {
    this.at(n);
    if (v === undefined) this.out += '<no value>';
    else if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type ${goTypeName(v)}`);
    else this.out += formatValue(v);
  }

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = NOARG;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.idents[0], value);
      else this.vars.push({ name: v.idents[0], value });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: unknown): void {
    if (args.length > 1 || final !== NOARG) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0];
    switch (first.t) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case 'nil':
        return this.errorf('nil is not a command');
      case 'dot':
        return dot;
      default:
        return first.value;
    }
  }

  private evalVariable(dot: unknown, v: VariableNode, args: ArgNode[], final: unknown): unknown {
    this.at(v);
    const value = this.varValue(v.idents[0]);
    if (v.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.idents.slice(1), args, final);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: unknown): unknown {
    this.at(chain);
    if (chain.node.t === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, chain.node, 'any');
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: AnyNode,
    idents: string[],
    args: ArgNode[],
    final: unknown,
  ): unknown {
    // No this.at() here: Go reports a chain's error at the last node it evaluated.
    for (let i = 0; i < idents.length - 1; i++) receiver = this.evalField(dot, idents[i], node, [], NOARG, receiver);
    return this.evalField(dot, idents[idents.length - 1], node, args, final, receiver);
  }

  private evalField(
    dot: unknown,
    name: string,
    node: AnyNode,
    args: ArgNode[],
    final: unknown,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      return undefined;
    }
    if (receiver === null) return this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = args.length > 1 || final !== NOARG;
    if (typeof receiver === 'object' && !Array.isArray(receiver)) {
      const { found, value } = lookupField(receiver, name);
      if (found && typeof value === 'function') {
        const argv = args.slice(1).map((a) => this.evalArg(dot, a, 'any'));
        if (final !== NOARG) argv.push(final);
        try {
          return (value as TemplateFunc).apply(receiver, argv);
        } catch (err) {
          this.at(node);
          return this.errorf(`error calling ${name}: ${(err as Error)?.message ?? String(err)}`);
        }
      }
      if (found || isPlainObject(receiver)) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        if (!found && this.missingKey === 'error') this.errorf(`map has no entry for key ${goQuote(name)}`);
        return value;
      }
    }
    return this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: unknown, node: IdentNode, cmd: AnyNode, args: ArgNode[], final: unknown): unknown {
    this.at(node);
    const name = node.name;
    const found = this.lookupFunc(name);
    if (!found) return this.errorf(`${goQuote(name)} is not a defined function`);
    const { fn, builtin } = found;
    const given = args.slice(1);
    const numIn = given.length + (final !== NOARG ? 1 : 0);
    let kinds: ParamKind[] = [];
    if (builtin) {
      const fixed = builtin.params.length;
      if (builtin.variadic) {
        if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${given.length}`);
      } else if (numIn !== fixed) this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
      kinds = Array.from({ length: numIn }, (_, i) => builtin.params[i] ?? builtin.variadic ?? 'any');
    }
    const kindOf = (i: number): ParamKind => kinds[i] ?? 'any';
    if (builtin && (name === 'and' || name === 'or') && BUILTINS[name] === builtin) {
      let v: unknown;
      for (const a of given) {
        v = this.evalArg(dot, a, 'any');
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== NOARG) v = final;
      return v;
    }
    const argv = given.map((a, i) => this.evalArg(dot, a, kindOf(i)));
    if (final !== NOARG) argv.push(this.checkValue(final, kindOf(given.length)));
    if (builtin && name === 'call' && BUILTINS.call === builtin) {
      argv.unshift(given.length > 0 ? nodeString(given[0]) : 'final argument');
    }
    try {
      return fn(...argv);
    } catch (err) {
      this.at(cmd);
      return this.errorf(`error calling ${name}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private checkValue(v: unknown, kind: ParamKind): unknown {
    if (kind === 'any') return v === NOARG ? undefined : v;
    const goType = kind === 'strings' ? '[]string' : kind;
    if (v === undefined || v === null) return this.errorf(`invalid value; expected ${goType}`);
    if (kind === 'string' && typeof v !== 'string') this.errorf(`wrong type for value; expected string; got ${goTypeName(v)}`);
    if (kind === 'int') {
      if (typeof v === 'bigint') return Number(v);
      if (typeof v !== 'number' || !isIntegral(v)) this.errorf(`wrong type for value; expected int; got ${goTypeName(v)}`);
    }
    if (kind === 'strings') {
      if (!Array.isArray(v)) this.errorf(`wrong type for value; expected []string; got ${goTypeName(v)}`);
      return (v as unknown[]).map((e) => (typeof e === 'string' ? e : formatValue(e)));
    }
    return v;
  }

  private evalArg(dot: unknown, n: ArgNode, kind: ParamKind): unknown {
    this.at(n);
    switch (n.t) {
      case 'dot':
        return this.checkValue(dot, kind);
      case 'nil':
        if (kind === 'any' || kind === 'strings') return null;
        return this.errorf(`cannot assign nil to ${kind}`);
      case 'field':
        return this.checkValue(this.evalFieldChain(dot, dot, n, n.idents, [n], NOARG), kind);
      case 'variable':
        return this.checkValue(this.evalVariable(dot, n, [n], NOARG), kind);
      case 'pipe':
        return this.checkValue(this.evalPipeline(dot, n), kind);
      case 'identifier':
        return this.checkValue(this.evalFunction(dot, n, n, [n], NOARG), kind);
      case 'chain':
        return this.checkValue(this.evalChain(dot, n, [n], NOARG), kind);
    }
    switch (kind) {
      case 'any':
        return n.value;
      case 'string':
        if (n.t === 'string') return n.value;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.t === 'number' && n.isInt) return n.value;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'strings':
        return this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    }
  }
}

// ---------------------------------------------------------------------------
// Public API

function toInvalidParameter(err: unknown): never {
  if (err instanceof ParseError || err instanceof ExecError) {
    throw new InvalidParameterError(`template parsing error: ${err.message}`, { cause: err });
  }
  throw err;
}

class GoTemplate implements ParsedTemplate {
  constructor(
    private readonly text: string,
    private readonly root: ListNode,
    private readonly trees: Map<string, ListNode>,
    private readonly funcs: FuncMap,
    private readonly options: TemplateOptions,
  ) {}

  execute(data: unknown, funcs?: FuncMap): string {
    const lookup = (name: string): { fn: TemplateFunc; builtin?: Builtin } | undefined => {
      const own = funcs?.[name] ?? this.funcs[name];
      if (own) return { fn: own };
      const b = BUILTINS[name];
      return b ? { fn: b.fn, builtin: b } : undefined;
    };
    const exec = new Exec(this.text, this.trees, lookup, this.options.missingKey ?? 'default', '', data);
    try {
      return exec.run(this.root, data);
    } catch (err) {
      return toInvalidParameter(err);
    }
  }
}

/**
 * Parses a Go template once (docker parses the format once and executes it per row).
 * Errors are InvalidParameterError worded like the Docker CLI's:
 * `template parsing error: template: :1: function "foo" not defined`.
 */
export function parseTemplate(tmpl: string, extraFuncs: FuncMap = {}, options: TemplateOptions = {}): ParsedTemplate {
  const funcs: FuncMap = { ...extraFuncs };
  try {
    const parser = new Parser(tmpl, lex(tmpl), (n) => n in funcs || n in BUILTINS);
    const root = parser.parse();
    return new GoTemplate(tmpl, root, parser.trees, funcs, options);
  } catch (err) {
    return toInvalidParameter(err);
  }
}

export function renderTemplate(tmpl: string, data: unknown, extraFuncs?: FuncMap, options?: TemplateOptions): string {
  return parseTemplate(tmpl, extraFuncs, options).execute(data);
}

// ---------------------------------------------------------------------------
// Docker CLI format-string conventions (cli/command/formatter)

/** Docker treats any format that starts with "table" as a table (header + tabwriter). */
export function isTableFormat(fmt: string): boolean {
  return fmt.startsWith('table');
}

/** `--format json` is shorthand for `{{json .}}` (exact match, like Docker). */
export function isJSONFormat(fmt: string): boolean {
  return fmt === 'json';
}

/** Drops the "table" keyword and the spaces around the rest, as Docker's preFormat does. */
export function stripTablePrefix(fmt: string): string {
  const rest = isTableFormat(fmt) ? fmt.slice('table'.length) : fmt;
  return rest.replace(/^ +| +$/g, '');
}

/** A shell passes `\t` / `\n` through as backslash + letter; Docker turns them into tab / newline. */
export function unescapeFormat(s: string): string {
  return s.replace(/\\[tn]/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/** The template text Docker actually parses for a --format value (its Context.preFormat). */
export function prepareFormat(fmt: string): string {
  let f = fmt;
  if (isTableFormat(f)) f = f.slice('table'.length);
  else if (isJSONFormat(f)) f = '{{json .}}';
  return unescapeFormat(f.replace(/^ +| +$/g, ''));
}
