import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summaryCommand } from '../../src/engine/containers/container-view.js';

test('the list Command quotes arguments with spaces, as dockerd does', () => {
  assert.equal(summaryCommand('sleep', ['1000']), 'sleep 1000');
  assert.equal(summaryCommand('sh', ['-c', 'exit 2']), "sh -c 'exit 2'");
  assert.equal(summaryCommand('true', []), 'true');
  // Only a space triggers quoting (moby's strings.Contains(arg, " ")).
  assert.equal(summaryCommand('echo', ['a\tb', '']), 'echo a\tb ');
});

test('log decoder: partial records survive the reader reusing its buffer', async () => {
  const { LogDecoder } = await import('../../src/engine/containers/container-logs.js');
  const dec = new LogDecoder();
  const buf = Buffer.from('2024-05-01T12:00:00.000000001Z stdout P first-half \n');
  assert.deepEqual(dec.push(buf), []);
  buf.fill('x'); // the next fh.read() into the same buffer
  const out = dec.push(Buffer.from('2024-05-01T12:00:00.000000002Z stdout F second-half\n'));
  assert.equal(out.length, 1);
  assert.equal(out[0].data.toString(), 'first-half second-half\n');
});
