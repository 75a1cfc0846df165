/**
 * Shows a JSON progress stream (load, import, pull) the way docker's jsonmessage does:
 * `stream` text verbatim, status lines with their id, progress bars redrawn in place
 * only on a terminal, an inline error ends the stream with that error.
 */
import type { Writable } from 'node:stream';
import { jsonLines, messageError, type JsonMessage } from '../client/json-stream.js';

export async function displayJsonMessages(source: AsyncIterable<Buffer | string>, out: Writable, isTerminal: boolean): Promise<JsonMessage[]> {
  const seen: JsonMessage[] = [];
  // On a terminal, each id keeps its own line, rewritten as its progress moves.
  const lines = new Map<string, number>();
  let lineCount = 0;
  for await (const msg of jsonLines(source)) {
    seen.push(msg);
    const e = messageError(msg);
    if (e) throw e;
    if (msg.stream !== undefined) {
      out.write(msg.stream);
      continue;
    }
    if (msg.status === undefined) continue;
    const text = `${msg.id ? `${msg.id}: ` : ''}${msg.status}${msg.progress ? ` ${msg.progress}` : ''}`;
    if (!isTerminal) {
      // Progress bars are for terminals only.
      if (msg.progress || msg.progressDetail?.total) continue;
      out.write(`${text}\n`);
      continue;
    }
    if (msg.id && lines.has(msg.id)) {
      const up = lineCount - lines.get(msg.id)!;
      out.write(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
      continue;
    }
    if (msg.id) lines.set(msg.id, lineCount);
    out.write(`\x1b[2K${text}\n`);
    lineCount++;
  }
  return seen;
}
