/**
 * docker's jsonmessage display (DisplayJSONMessagesStream) for pull and push: on a
 * terminal each layer keeps a line of its own, redrawn in place with ANSI cursor
 * movement as its progress bar advances; otherwise plain status lines, without bars.
 * The bar is drawn from `progressDetail` at the terminal's width, as docker's
 * JSONProgress.String() does.
 */
import type { Writable } from 'node:stream';
import { humanSize } from '../lib/human.js';
import { jsonLines, messageError, type JsonMessage } from '../client/json-stream.js';

export interface ProgressDetail {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

/** docker's JSONProgress.String() for a terminal `width` columns wide. */
export function renderProgress(p: ProgressDetail, width: number, now = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) {
    if (p.units === 'K') return `${String(current).padStart(8)}`;
    return humanSize(current).padStart(8);
  }
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
  let numbers = '';
  if (!p.hidecounts) {
    if (p.units === 'K') numbers = `${String(current).padStart(8)}/${total}`;
    else {
      numbers = `${humanSize(current).padStart(8)}/${humanSize(total)}`;
      if (current > total) numbers = humanSize(current).padStart(8);
    }
  }
  let left = '';
  if (current > 0 && p.start && p.start > 0 && percentage < 50 && width > 50) {
    const perByte = (now / 1000 - p.start) / current;
    left = ` ${goDuration(Math.trunc((total - current) * perByte))}`;
  }
  return bar + numbers + left;
}

/** Go's time.Duration.String() for whole seconds: 1m5s, 2h0m0s, 0s. */
function goDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.trunc(seconds / 3600);
  const m = Math.trunc((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

export interface DisplayOptions {
  isTerminal: boolean;
  /** Terminal columns (0 or unknown: docker's default of 200). */
  width?: number;
  onAux?: (aux: unknown) => void;
}

/**
 * Shows a JSON-lines progress stream; throws the error a message carries. Returns when
 * the stream ends.
 */
export async function displayJsonMessagesStream(source: AsyncIterable<Buffer | string>, out: Writable, o: DisplayOptions): Promise<void> {
  const width = o.width && o.width > 0 ? o.width : 200;
  const ids = new Map<string, number>();
  for await (const raw of jsonLines(source)) {
    const msg = raw as JsonMessage & { progressDetail?: ProgressDetail };
    if (msg.aux !== undefined) {
      o.onAux?.(msg.aux);
      continue;
    }
    const e = messageError(msg);
    if (e) throw e;
    const hasProgress = msg.progressDetail !== undefined && msg.progressDetail !== null;
    let diff = 0;
    if (msg.id && (hasProgress || msg.progress)) {
      let line = ids.get(msg.id);
      if (line === undefined) {
        // Each id gets its own line; the history is reset by any message without one.
        line = ids.size;
        ids.set(msg.id, line);
        if (o.isTerminal) out.write('\n');
      }
      diff = ids.size - line;
      if (o.isTerminal && diff > 0) out.write(`\x1b[${diff}A`);
    } else ids.clear();
    display(msg, hasProgress, out, o.isTerminal, width);
    if (msg.id && o.isTerminal && diff > 0) out.write(`\x1b[${diff}B`);
  }
}

function display(msg: JsonMessage & { progressDetail?: ProgressDetail }, hasProgress: boolean, out: Writable, isTerminal: boolean, width: number): void {
  let endl = '';
  const bar = hasProgress ? renderProgress(msg.progressDetail!, width) : '';
  if (isTerminal && msg.stream === undefined && hasProgress) {
    out.write('\x1b[2K\r');
    endl = '\r';
  } else if (hasProgress && bar !== '') {
    return; // progress bars are for terminals
  }
  let s = '';
  if (msg.id) s += `${msg.id}: `;
  if (hasProgress && isTerminal) s += `${msg.status ?? ''} ${bar}${endl}`;
  else if (msg.progress) s += `${msg.status ?? ''} ${msg.progress}${endl}`;
  else if (msg.stream !== undefined) s += `${msg.stream}${endl}`;
  else s += `${msg.status ?? ''}${endl}\n`;
  out.write(s);
}
