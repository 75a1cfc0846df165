import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { apiErrorFromBody } from '../../src/client/api-error.js';
import { parseFilterArgs } from '../../src/client/docker-client.js';
import { DEFAULT_HOST, parseHost, resolveHost } from '../../src/client/host.js';
import { jsonLines } from '../../src/client/json-stream.js';
import { Readable } from 'node:stream';

describe('client host', () => {
  it('prefers -H, then DOCKER_HOST, then BERTH_HOST, then the default', () => {
    assert.equal(resolveHost('unix:///a', { DOCKER_HOST: 'unix:///b', BERTH_HOST: 'unix:///c' }), 'unix:///a');
    assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///b', BERTH_HOST: 'unix:///c' }), 'unix:///b');
    assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///c' }), 'unix:///c');
    assert.equal(resolveHost(undefined, {}), DEFAULT_HOST);
    assert.equal(DEFAULT_HOST, 'unix:///run/berth/berth.sock');
  });

  it('parses unix hosts and refuses tcp for now, clearly', () => {
    assert.deepEqual(parseHost('unix:///run/berth/berth.sock'), { host: 'unix:///run/berth/berth.sock', socketPath: '/run/berth/berth.sock' });
    assert.deepEqual(parseHost('/tmp/x.sock'), { host: 'unix:///tmp/x.sock', socketPath: '/tmp/x.sock' });
    assert.throws(() => parseHost('tcp://127.0.0.1:2375'), /berth only connects to unix:\/\/ sockets for now/);
    assert.throws(() => parseHost('ssh://me@host'), /unsupported protocol 'ssh'/);
  });
});

describe('client errors and streams', () => {
  it('keeps the daemon’s message', () => {
    const e = apiErrorFromBody(404, '{"message":"No such container: x"}\n');
    assert.equal(e.status, 404);
    assert.equal(e.daemonMessage, 'No such container: x');
    assert.equal(e.message, 'Error response from daemon: No such container: x');
    assert.equal(apiErrorFromBody(500, 'plain text').daemonMessage, 'plain text');
    assert.equal(apiErrorFromBody(502, '').daemonMessage, '502');
  });

  it('turns -f key=value flags into the filters map', () => {
    assert.deepEqual(parseFilterArgs(['status=running', 'label=a=b', 'status=paused']), { status: ['running', 'paused'], label: ['a=b'] });
    assert.throws(() => parseFilterArgs(['nokey']), /bad format of filter/);
  });

  it('splits JSON lines across chunks', async () => {
    const got = [];
    for await (const m of jsonLines(Readable.from(['{"stream":"a"}\r\n{"sta', 'tus":"b"}\n\n{"id":"c"}']))) got.push(m);
    assert.deepEqual(got, [{ stream: 'a' }, { status: 'b' }, { id: 'c' }]);
  });
});
