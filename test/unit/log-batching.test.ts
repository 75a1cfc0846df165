import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { batchingWriter, frame } from '../../src/api/stream.js';
import { LogDecoder } from '../../src/engine/containers/container-logs.js';

test('batched frames are byte-for-byte the framed messages, in one write per flush', () => {
  const out = new PassThrough();
  const writes: Buffer[] = [];
  out.on('data', (d: Buffer) => writes.push(d));
  const { write, flush } = batchingWriter(out, false);
  write(1, Buffer.from('a\n'));
  write(2, Buffer.from('bb\n'));
  flush();
  flush();
  assert.equal(writes.length, 1);
  assert.deepEqual(writes[0], Buffer.concat([frame(1, Buffer.from('a\n')), frame(2, Buffer.from('bb\n'))]));
});

test('decoder: stream, empty lines, partial joins, junk lines skipped', () => {
  const dec = new LogDecoder();
  const text =
    '2024-05-01T12:00:00.1Z stdout F one\n' +
    'junk\n' +
    '2024-05-01T12:00:00.2Z stderr F \n' +
    '2024-05-01T12:00:00.3Z stdout P par\n' +
    '2024-05-01T12:00:00.4Z stderr F err\n' +
    '2024-05-01T12:00:00.5Z stdout F tial\n';
  const msgs = dec.push(Buffer.from(text));
  assert.deepEqual(msgs.map((m) => [m.stream, m.data.toString()]), [
    [1, 'one\n'],
    [2, '\n'],
    [2, 'err\n'],
    [1, 'partial\n'],
  ]);
  assert.equal(msgs[0].ts, '2024-05-01T12:00:00.1Z');
});
