/**
 * Command-line flags parsed the way the docker CLI's pflag does: `--name value`,
 * `--name=value`, `-d`, combined `-dit`, `-p8080:80`, `-e=X`, repeatable lists,
 * `--detach=false`, `--` ends flags, and (for run/create/exec) the first positional
 * argument ends flag parsing so the container's own flags are left alone. Error
 * messages are pflag's, word for word.
 */
import { parseDuration } from './values.js';
import { parseBytes } from '../lib/human.js';

export type FlagKind = 'bool' | 'string' | 'int' | 'uint' | 'float' | 'list' | 'bytes' | 'duration';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  /** The type word usage shows after the flag ("list", "bytes", "mount", "filter", ...). */
  typeName?: string;
  /** Value when the flag is not given (bools default to false, lists to []). */
  default?: boolean | string | number;
  /** How usage shows the default, when it is not the zero value ("all", -1, true, "[]"). */
  defaultText?: string;
  hidden?: boolean;
  /** Stores into another flag (docker's hidden aliases: --net for --network). */
  dest?: string;
  /** Checks a value as it is parsed; returns a complaint (docker's flag validators). */
  validate?: (raw: string) => string | undefined;
}

export type FlagValue = boolean | string | number | string[];

/** A flag problem: the CLI prints it with the command's usage line and exits 125. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** `--help` (or `-h` where it is not another flag) was given. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

/** The result of parsing: typed getters over the flags given and the defaults. */
export class ParsedFlags {
  constructor(
    private readonly specs: Map<string, FlagSpec>,
    private readonly values: Map<string, FlagValue>,
    /** Names of the flags that appeared on the command line. */
    readonly changed: Set<string>,
    /** Positional arguments, in order. */
    readonly args: string[],
  ) {}

  has(name: string): boolean {
    return this.changed.has(name);
  }

  private value(name: string): FlagValue | undefined {
    if (!this.specs.has(name)) throw new Error(`flag --${name} is not defined`);
    return this.values.get(name) ?? defaultOf(this.specs.get(name)!);
  }

  bool(name: string): boolean {
    return this.value(name) === true;
  }

  string(name: string): string {
    const v = this.value(name);
    return v === undefined ? '' : String(v);
  }

  /** The number, or undefined when the flag has no value and no default. */
  number(name: string): number | undefined {
    const v = this.value(name);
    return typeof v === 'number' ? v : undefined;
  }

  list(name: string): string[] {
    const v = this.value(name);
    return Array.isArray(v) ? v : [];
  }
}

function defaultOf(spec: FlagSpec): FlagValue | undefined {
  if (spec.default !== undefined) return spec.default;
  switch (spec.kind) {
    case 'bool':
      return false;
    case 'list':
      return [];
    case 'string':
      return '';
    default:
      return undefined;
  }
}

/** How pflag names a flag in "invalid argument" errors: "-n, --last" or "--rm". */
function flagTitle(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  const bad = (detail: string): FlagError => new FlagError(`invalid argument "${raw}" for "${flagTitle(spec)}" flag: ${detail}`);
  switch (spec.kind) {
    case 'bool': {
      const v = parseGoBool(raw);
      if (v === undefined) throw bad(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return v;
    }
    case 'int':
    case 'uint': {
      if (!/^[+-]?\d+$/.test(raw.trim()) || (spec.kind === 'uint' && raw.trim().startsWith('-'))) {
        throw bad(`strconv.Parse${spec.kind === 'int' ? 'Int' : 'Uint'}: parsing "${raw}": invalid syntax`);
      }
      return Number(raw);
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw bad(`strconv.ParseFloat: parsing "${raw}": invalid syntax`);
      return n;
    }
    case 'bytes': {
      let n: number;
      try {
        n = parseBytes(raw);
      } catch (e) {
        // go-units' own words: "invalid size: 'x'" or "invalid suffix: 'z'".
        throw bad((e as Error).message);
      }
      if (!Number.isFinite(n)) throw bad(`invalid size: '${raw}'`);
      return n;
    }
    case 'duration': {
      const ns = parseDuration(raw);
      if (ns === undefined) throw bad(`time: invalid duration "${raw}"`);
      return ns;
    }
    default:
      return raw;
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

export interface ParseOptions {
  /** False for run/create/exec: the first positional argument ends the flags. */
  interspersed?: boolean;
}

/** Parses argv against the flag specs (pflag's algorithm and messages). */
export function parseFlags(specList: FlagSpec[], argv: string[], opts: ParseOptions = {}): ParsedFlags {
  const interspersed = opts.interspersed ?? true;
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of specList) {
    byName.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const values = new Map<string, FlagValue>();
  const changed = new Set<string>();
  const args: string[] = [];

  const set = (given: FlagSpec, raw: string): void => {
    const spec = given.dest ? (byName.get(given.dest) ?? given) : given;
    const complaint = given.validate?.(raw);
    if (complaint !== undefined) throw new FlagError(`invalid argument "${raw}" for "${flagTitle(given)}" flag: ${complaint}`);
    const v = convert(spec, raw);
    if (spec.kind === 'list') {
      const prev = (values.get(spec.name) as string[] | undefined) ?? [];
      values.set(spec.name, [...prev, raw]);
    } else {
      values.set(spec.name, v);
    }
    changed.add(spec.name);
  };

  const rest = [...argv];
  while (rest.length > 0) {
    const s = rest.shift()!;
    if (s.length === 0 || s[0] !== '-' || s.length === 1) {
      if (!interspersed) {
        args.push(s, ...rest);
        break;
      }
      args.push(s);
      continue;
    }
    if (s[1] === '-') {
      if (s.length === 2) {
        args.push(...rest);
        break;
      }
      const body = s.slice(2);
      if (body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const spec = byName.get(name);
      if (!spec) {
        if (name === 'help') throw new HelpRequested();
        throw new FlagError(`unknown flag: --${name}`);
      }
      if (eq >= 0) set(spec, body.slice(eq + 1));
      else if (spec.kind === 'bool') set(spec, 'true');
      else if (rest.length > 0) set(spec, rest.shift()!);
      else throw new FlagError(`flag needs an argument: ${s}`);
      continue;
    }
    // One or more shorthands: -d, -dit, -p8080:80, -e=X.
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0];
      const spec = byShort.get(c);
      if (!spec) {
        if (c === 'h') throw new HelpRequested();
        throw new FlagError(`unknown shorthand flag: '${c}' in -${shorts}`);
      }
      if (shorts.length > 2 && shorts[1] === '=') {
        set(spec, shorts.slice(2));
        shorts = '';
      } else if (spec.kind === 'bool') {
        set(spec, 'true');
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        set(spec, shorts.slice(1));
        shorts = '';
      } else if (rest.length > 0) {
        set(spec, rest.shift()!);
        shorts = '';
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${shorts}`);
      }
    }
  }
  return new ParsedFlags(byName, values, changed, args);
}

const typeWords: Record<FlagKind, string> = {
  bool: '',
  string: 'string',
  int: 'int',
  uint: 'uint',
  float: 'float',
  list: 'list',
  bytes: 'bytes',
  duration: 'duration',
};

/**
 * The "Options:" block of a usage text, as pflag's FlagUsagesWrapped renders it
 * (docker uses 79 columns when the output is not a terminal).
 */
export function flagUsages(specs: FlagSpec[], cols = 79): string {
  const visible = specs.filter((s) => !s.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  let maxlen = 0;
  for (const f of visible) {
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const varname = f.typeName ?? typeWords[f.kind];
    if (varname) line += ' ' + varname;
    line += '\x00';
    if (line.length > maxlen) maxlen = line.length;
    line += f.usage;
    if (f.defaultText !== undefined) line += ` (default ${f.defaultText})`;
    lines.push(line);
  }
  let out = '';
  for (const line of lines) {
    const sidx = line.indexOf('\x00');
    const spacing = ' '.repeat(maxlen - sidx);
    out += `${line.slice(0, sidx)} ${spacing} ${wrap(maxlen + 2, cols, line.slice(sidx + 1))}\n`;
  }
  return out;
}

function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: text after an indent of i columns, wrapped to w columns. */
function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', '\n' + ' '.repeat(i));
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  let [l, rest] = wrapN(width, slop, s);
  r += l.replaceAll('\n', '\n' + ' '.repeat(i));
  while (rest !== '') {
    [l, rest] = wrapN(width, slop, rest);
    r += '\n' + ' '.repeat(i) + l.replaceAll('\n', '\n' + ' '.repeat(i));
  }
  return r;
}
