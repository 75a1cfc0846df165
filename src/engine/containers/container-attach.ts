import type { Duplex } from 'node:stream';
import { InvalidParameterError } from '../../lib/errors.js';
import type { AttachChannel } from './runtime.js';

/** Docker's detach key syntax ("ctrl-p,ctrl-q", "a,ctrl-@") as bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(k);
    if (!m) throw new InvalidParameterError(`Invalid detach keys (${spec}) provided`);
    const c = m[1].toLowerCase();
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw new InvalidParameterError(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/**
 * Watches an input stream for the detach sequence. Bytes that could start the sequence are
 * held back until it is complete (detach) or broken (they are passed on).
 */
export class DetachScanner {
  private held = 0;
  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward and whether the sequence was completed. */
  scan(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) {
          this.held = 0;
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]);
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys: Buffer;
  tty: boolean;
  /** The container closes its stdin when this client goes (Config.StdinOnce). */
  stdinOnce: boolean;
}

/**
 * Joins a hijacked client connection to a task's attach channel. Resolves when the
 * session ends: the container exited, the client detached or went away.
 */
export function joinAttach(client: Duplex, channel: AttachChannel, o: AttachOptions, write: (stream: number, data: Buffer) => void): Promise<'exited' | 'detached' | 'gone'> {
  return new Promise((resolve) => {
    let over = false;
    const finish = (why: 'exited' | 'detached' | 'gone'): void => {
      if (over) return;
      over = true;
      client.off('data', onInput);
      resolve(why);
    };
    channel.onData((stream, data) => {
      if ((stream === 1 && o.stdout) || (stream === 2 && o.stderr)) write(stream, data);
    });
    channel.onEnd(() => {
      finish('exited');
      client.end();
    });
    const scanner = new DetachScanner(o.detachKeys);
    const onInput = (d: Buffer): void => {
      if (!o.stdin) return;
      const { forward, detach } = scanner.scan(d);
      if (forward.length) channel.write(forward);
      if (detach) {
        finish('detached');
        channel.close();
        client.end();
      }
    };
    client.on('data', onInput);
    client.resume();
    client.on('end', () => {
      // The client closed its stdin.
      if (o.stdin && o.stdinOnce) channel.closeStdin();
    });
    client.on('close', () => {
      if (!over) {
        finish('gone');
        channel.close();
      }
    });
    client.on('error', () => undefined);
  });
}
