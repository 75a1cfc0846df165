/**
 * One message of a JSON progress stream (image load, import, pull): the shape of
 * moby's jsonmessage.JSONMessage.
 */
export interface JsonMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
}

/** Splits a byte stream into JSON values, one per line (tolerates \r\n and blank lines). */
export async function* jsonLines<T = JsonMessage>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let pending = '';
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  const last = pending.trim();
  if (last) yield JSON.parse(last) as T;
}

/** The error a progress stream carried inline, as docker reports it. */
export class JsonStreamError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

export function messageError(msg: JsonMessage): JsonStreamError | undefined {
  if (msg.errorDetail?.message) return new JsonStreamError(msg.errorDetail.message, msg.errorDetail.code);
  if (msg.error) return new JsonStreamError(msg.error);
  return undefined;
}
