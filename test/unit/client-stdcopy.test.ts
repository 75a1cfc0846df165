import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { copyDemultiplexed, Demultiplexer, demultiplex, encodeFrame } from '../../src/client/stdcopy.js';

describe('multiplexed stream demultiplexer', () => {
  it('splits frames by stream id', () => {
    const data = Buffer.concat([encodeFrame(1, 'out1\n'), encodeFrame(2, 'err1\n'), encodeFrame(1, '')]);
    const { frames, rest } = demultiplex(data);
    assert.deepEqual(
      frames.map((f) => [f.stream, f.payload.toString()]),
      [
        [1, 'out1\n'],
        [2, 'err1\n'],
        [1, ''],
      ],
    );
    assert.equal(rest.length, 0);
  });

  it('holds a frame split anywhere across chunks, even inside the header', () => {
    const data = Buffer.concat([encodeFrame(1, 'hello'), encodeFrame(2, 'world!')]);
    for (let cut = 1; cut < data.length; cut++) {
      const d = new Demultiplexer();
      const got = [...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))].map((f) => `${f.stream}:${f.payload}`);
      assert.deepEqual(got, ['1:hello', '2:world!'], `cut at ${cut}`);
      assert.equal(d.buffered, 0);
    }
  });

  it('reads the size as uint32 big-endian', () => {
    const payload = Buffer.alloc(70000, 0x61);
    const d = new Demultiplexer();
    const frames = d.push(encodeFrame(1, payload));
    assert.equal(frames[0].payload.length, 70000);
    const header = encodeFrame(2, payload).subarray(0, 8);
    assert.deepEqual([...header], [2, 0, 0, 0, 0, 1, 0x11, 0x70]);
  });

  it('reports what is left of a truncated frame', () => {
    const { frames, rest } = demultiplex(encodeFrame(1, 'abcdef').subarray(0, 10));
    assert.equal(frames.length, 0);
    assert.equal(rest.length, 10);
  });

  it('rejects an unknown stream id', () => {
    assert.throws(() => new Demultiplexer().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0x41])), /Unrecognized input header: 9/);
  });

  it('copies a stream to stdout and stderr sinks', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const src = Readable.from([Buffer.concat([encodeFrame(1, 'a'), encodeFrame(2, 'b')]).subarray(0, 5), Buffer.concat([encodeFrame(1, 'a'), encodeFrame(2, 'b')]).subarray(5)]);
    await copyDemultiplexed(src, { write: (b) => out.push(b.toString()) }, { write: (b) => err.push(b.toString()) });
    assert.deepEqual(out, ['a']);
    assert.deepEqual(err, ['b']);
  });

  it('fails on a system-error frame', async () => {
    await assert.rejects(copyDemultiplexed(Readable.from([encodeFrame(3, 'boom')]), undefined, undefined), /boom/);
  });
});
