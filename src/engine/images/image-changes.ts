import * as path from 'node:path';
import { InvalidParameterError } from '../../lib/errors.js';
import type { ImageRuntimeConfig } from './image-types.js';

/**
 * The `changes` of `docker import` and `docker commit`: Dockerfile instructions that
 * only touch the image config. Each entry may hold several lines; Docker joins them all
 * and parses one small Dockerfile, so berth does the same.
 */
const allowed = new Set(['cmd', 'entrypoint', 'env', 'expose', 'workdir', 'user', 'label', 'volume', 'stopsignal', 'onbuild']);

export interface ChangeInstruction {
  /** Lower-case instruction keyword. */
  cmd: string;
  /** The rest of the (joined) line, leading whitespace removed. */
  args: string;
}

/** Splits `changes` into instructions, checking each is one import/commit may use. */
export function parseChanges(changes: string[]): ChangeInstruction[] {
  const text = changes.join('\n');
  const lines: string[] = [];
  let cur = '';
  for (const raw of text.split(/\r?\n/)) {
    const t = raw.trim();
    if (!cur && (t === '' || t.startsWith('#'))) continue;
    if (t.endsWith('\\')) {
      cur += t.slice(0, -1) + ' ';
      continue;
    }
    lines.push(cur + raw.trim());
    cur = '';
  }
  if (cur.trim()) lines.push(cur.trim());
  return lines.map((line) => {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const cmd = m[1].toLowerCase();
    if (!allowed.has(cmd)) throw new InvalidParameterError(`${cmd} is not a valid change command`);
    return { cmd, args: m[2].trim() };
  });
}

/** Applies `changes` to a copy of `base` and returns it. */
export function applyChanges(base: ImageRuntimeConfig, changes: string[]): ImageRuntimeConfig {
  const c: ImageRuntimeConfig = structuredClone(base);
  let cmdSet = false;
  for (const ins of parseChanges(changes)) {
    const env = envMap(c.Env);
    switch (ins.cmd) {
      case 'cmd':
        c.Cmd = execOrShell(ins.args, c.Shell);
        cmdSet = true;
        break;
      case 'entrypoint':
        c.Entrypoint = ins.args === '' ? null : execOrShell(ins.args, c.Shell);
        // A new entrypoint drops an inherited CMD, as in a Dockerfile.
        if (!cmdSet) c.Cmd = null;
        break;
      case 'env':
        for (const [k, v] of keyValues(ins.args, env, 'ENV')) {
          env.set(k, v);
          c.Env = setEnv(c.Env ?? [], k, v);
        }
        break;
      case 'label': {
        const labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of keyValues(ins.args, env, 'LABEL')) labels[k] = v;
        c.Labels = labels;
        break;
      }
      case 'expose': {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const w of processWords(ins.args, env)) for (const p of parsePortSpec(w)) ports[p] = {};
        c.ExposedPorts = ports;
        break;
      }
      case 'workdir': {
        const dir = processWord(ins.args, env);
        if (!dir) throw new InvalidParameterError('WORKDIR requires exactly one argument');
        c.WorkingDir = path.posix.resolve(c.WorkingDir || '/', dir);
        break;
      }
      case 'user': {
        const user = processWord(ins.args, env);
        if (!user) throw new InvalidParameterError('USER requires exactly one argument');
        c.User = user;
        break;
      }
      case 'volume': {
        const json = jsonArray(ins.args);
        const vols = json ?? processWords(ins.args, env);
        if (vols.length === 0) throw new InvalidParameterError('VOLUME requires at least one argument');
        const out = { ...(c.Volumes ?? {}) };
        for (const v of vols) {
          if (!v.trim()) throw new InvalidParameterError('VOLUME specified can not be an empty string');
          out[v.trim()] = {};
        }
        c.Volumes = out;
        break;
      }
      case 'stopsignal': {
        const sig = processWord(ins.args, env);
        if (!/^(\d+|(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?)$/i.test(sig)) throw new InvalidParameterError(`Invalid signal: ${sig}`);
        c.StopSignal = sig;
        break;
      }
      case 'onbuild': {
        const trigger = /^(\S+)/.exec(ins.args)?.[1]?.toUpperCase();
        if (!trigger) throw new InvalidParameterError('ONBUILD requires at least one argument');
        if (trigger === 'ONBUILD') throw new InvalidParameterError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trigger === 'FROM' || trigger === 'MAINTAINER') throw new InvalidParameterError(`${trigger} isn't allowed as an ONBUILD trigger`);
        c.OnBuild = [...(c.OnBuild ?? []), ins.args];
        break;
      }
    }
  }
  return c;
}

function jsonArray(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(args);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: shell form */
  }
  return undefined;
}

function execOrShell(args: string, shell: string[] | undefined): string[] {
  return jsonArray(args) ?? [...(shell?.length ? shell : ['/bin/sh', '-c']), args];
}

function envMap(env: string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
    else m.set(e, '');
  }
  return m;
}

function setEnv(env: string[], k: string, v: string): string[] {
  const out = env.filter((e) => e !== k && !e.startsWith(`${k}=`));
  out.push(`${k}=${v}`);
  return out;
}

/** `K=V K2="v 2"` or the legacy `K value with spaces`. */
function keyValues(args: string, env: Map<string, string>, what: string): [string, string][] {
  if (!args) throw new InvalidParameterError(`${what} requires at least one argument`);
  const first = /^[^\s=]*/.exec(args)![0];
  if (!args.slice(first.length).startsWith('=')) {
    // Legacy form: one key, the rest of the line is the value.
    const m = /^(\S+)\s+([\s\S]*)$/.exec(args);
    if (!m) throw new InvalidParameterError(`${what} must have two arguments`);
    return [[m[1], processWord(m[2], env)]];
  }
  const out: [string, string][] = [];
  for (const w of processWords(args, env, false)) {
    const i = w.indexOf('=');
    if (i < 0) throw new InvalidParameterError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (i === 0) throw new InvalidParameterError(`${what} names can not be blank`);
    const k = w.slice(0, i);
    out.push([what === 'LABEL' ? processWord(k, env) : k, processWord(w.slice(i + 1), env)]);
  }
  return out;
}

/** Docker's `EXPOSE` port specs: `80`, `80/udp`, `8000-8002/tcp`. */
export function parsePortSpec(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/.exec(spec);
  if (!m) throw new InvalidParameterError(`invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new InvalidParameterError(`invalid proto: ${proto}`);
  const start = Number(m[1]);
  const end = m[2] !== undefined ? Number(m[2]) : start;
  if (start < 0 || end > 65535 || end < start) throw new InvalidParameterError(`invalid containerPort: ${spec}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

/**
 * Shell-like word processing of Dockerfile arguments: quotes, backslash escapes and
 * `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}` from the config's environment.
 * With `split` unquoted whitespace separates words; `raw` keeps quotes (for K=V pairs
 * that are processed again per value).
 */
export function processWords(s: string, env: Map<string, string>, expand = true): string[] {
  const words: string[] = [];
  let w = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (/\s/.test(ch)) {
      if (inWord) words.push(w);
      w = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'" || ch === '"') {
      const end = findQuoteEnd(s, i);
      const inner = s.slice(i + 1, end);
      w += expand ? (ch === "'" ? inner : expandVars(unescapeDouble(inner), env)) : s.slice(i, end + 1);
      i = end;
    } else if (ch === '\\' && i + 1 < s.length) {
      w += expand ? s[i + 1] : s.slice(i, i + 2);
      i++;
    } else if (ch === '$' && expand) {
      const { value, next } = readVar(s, i, env);
      w += value;
      i = next - 1;
    } else w += ch;
  }
  if (inWord) words.push(w);
  return words;
}

/** One word: quotes removed, variables expanded, whitespace kept. */
export function processWord(s: string, env: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "'" || ch === '"') {
      const end = findQuoteEnd(s, i);
      const inner = s.slice(i + 1, end);
      out += ch === "'" ? inner : expandVars(unescapeDouble(inner), env);
      i = end;
    } else if (ch === '\\' && i + 1 < s.length) {
      out += s[++i];
    } else if (ch === '$') {
      const { value, next } = readVar(s, i, env);
      out += value;
      i = next - 1;
    } else out += ch;
  }
  return out;
}

function findQuoteEnd(s: string, start: number): number {
  const q = s[start];
  for (let i = start + 1; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] === q) return i;
  }
  throw new InvalidParameterError(`unexpected end of statement while looking for matching ${q}`);
}

function unescapeDouble(s: string): string {
  // Keep `\$` as a marker so expandVars leaves it alone.
  return s.replace(/\\(["\\])/g, '$1');
}

function expandVars(s: string, env: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '$') {
      out += '$';
      i++;
    } else if (s[i] === '$') {
      const { value, next } = readVar(s, i, env);
      out += value;
      i = next - 1;
    } else out += s[i];
  }
  return out;
}

function readVar(s: string, i: number, env: Map<string, string>): { value: string; next: number } {
  if (s[i + 1] === '{') {
    const end = s.indexOf('}', i + 2);
    if (end < 0) throw new InvalidParameterError(`missing '}' in ${s}`);
    const body = s.slice(i + 2, end);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([\s\S]*))?$/.exec(body);
    if (!m) throw new InvalidParameterError(`bad substitution: \${${body}}`);
    const val = env.get(m[1]);
    let value = val ?? '';
    if (m[2] === '-' && !val) value = m[3];
    if (m[2] === '+') value = val ? m[3] : '';
    return { value, next: end + 1 };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
  if (!m) return { value: '$', next: i + 1 };
  return { value: env.get(m[0]) ?? '', next: i + 1 + m[0].length };
}
