/** Leveled logging to stderr, in the style of dockerd's text logs. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };
let threshold = order.info;

export function setLogLevel(level: string): void {
  if (!(level in order)) throw new Error(`invalid log level: ${level}`);
  threshold = order[level as LogLevel];
}

function emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  let line = `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      line += ` ${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(String(v))}`;
    }
  }
  process.stderr.write(line + '\n');
}

export const log = {
  debug: (msg: string, f?: Record<string, unknown>) => emit('debug', msg, f),
  info: (msg: string, f?: Record<string, unknown>) => emit('info', msg, f),
  warn: (msg: string, f?: Record<string, unknown>) => emit('warn', msg, f),
  error: (msg: string, f?: Record<string, unknown>) => emit('error', msg, f),
};
