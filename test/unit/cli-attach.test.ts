import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { EscapeDetector, parseDetachKeys } from '../../src/cli/attach-session.js';
import { parseTagTarget } from '../../src/cli/actions/image-ops.js';
import { familiarTagged, runStatusError } from '../../src/cli/actions/container-run.js';
import type { CliContext } from '../../src/cli/command.js';

describe('detach keys', () => {
  it('parses docker’s key syntax', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-[,ctrl-_')], [97, 0, 27, 31]);
    assert.throws(() => parseDetachKeys('ctrl-1'), /Unknown character/);
    assert.throws(() => parseDetachKeys('abc'), /Unknown character/);
  });

  it('swallows the sequence and detaches', () => {
    const d = new EscapeDetector(Buffer.from([16, 17]));
    const r = d.feed(Buffer.from([0x61, 16, 17, 0x62]));
    assert.deepEqual([...r.forward], [0x61]);
    assert.equal(r.detached, true);
  });

  it('holds a partial sequence across reads and passes it on when it breaks', () => {
    const d = new EscapeDetector(Buffer.from([16, 17]));
    let r = d.feed(Buffer.from([0x61, 16]));
    assert.deepEqual([...r.forward], [0x61]);
    assert.equal(r.detached, false);
    r = d.feed(Buffer.from([0x62]));
    assert.deepEqual([...r.forward], [16, 0x62]);
    r = d.feed(Buffer.from([16]));
    assert.deepEqual([...r.forward], []);
    r = d.feed(Buffer.from([17]));
    assert.equal(r.detached, true);
  });

  it('restarts the match on a repeated first key', () => {
    const d = new EscapeDetector(Buffer.from([16, 17]));
    const r = d.feed(Buffer.from([16, 16, 17]));
    assert.deepEqual([...r.forward], [16]);
    assert.equal(r.detached, true);
  });
});

describe('run helpers', () => {
  const ctx = { program: 'berth' } as CliContext;
  it('maps start errors to docker’s exit codes', () => {
    assert.equal(runStatusError(ctx, new Error('exec: "x": executable file not found in $PATH')).status, 127);
    assert.equal(runStatusError(ctx, new Error('open /x: no such file or directory')).status, 127);
    assert.equal(runStatusError(ctx, new Error('exec /etc: permission denied')).status, 126);
    const e = runStatusError(ctx, new Error('Error response from daemon: Conflict. The container name "/x" is already in use'));
    assert.equal(e.status, 125);
    assert.equal(e.message, `berth: Error response from daemon: Conflict. The container name "/x" is already in use\n\nRun 'berth run --help' for more information`);
  });

  it('names images the way "Unable to find image" does', () => {
    assert.equal(familiarTagged('busybox'), 'busybox:latest');
    assert.equal(familiarTagged('docker.io/library/busybox:1.36'), 'busybox:1.36');
    assert.equal(familiarTagged('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.equal(familiarTagged('app@sha256:abc'), 'app@sha256:abc');
  });

  it('normalises tag targets like the Go client', () => {
    assert.deepEqual(parseTagTarget('busybox'), { repo: 'docker.io/library/busybox', tag: 'latest' });
    assert.deepEqual(parseTagTarget('me/app:v1'), { repo: 'docker.io/me/app', tag: 'v1' });
    assert.deepEqual(parseTagTarget('localhost:5000/app:2'), { repo: 'localhost:5000/app', tag: '2' });
    assert.throws(() => parseTagTarget('Busybox'), /repository name \(library\/Busybox\) must be lowercase/);
    assert.throws(() => parseTagTarget('app@sha256:abc'), /refusing to create a tag with a digest reference/);
  });
});
