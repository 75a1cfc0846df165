import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { applyChanges, parseChanges, parsePortSpec } from '../../src/engine/images/image-changes.js';
import { InvalidParameterError } from '../../src/lib/errors.js';

test('CMD and ENTRYPOINT in exec and shell form', () => {
  const c = applyChanges({}, ['CMD ["sh", "-c", "echo hi"]']);
  assert.deepEqual(c.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(applyChanges({}, ['CMD echo $HOME']).Cmd, ['/bin/sh', '-c', 'echo $HOME']);
  const e = applyChanges({ Cmd: ['old'] }, ['ENTRYPOINT ["/bin/app"]']);
  assert.deepEqual(e.Entrypoint, ['/bin/app']);
  assert.equal(e.Cmd, null, 'an ENTRYPOINT resets an inherited CMD');
  const both = applyChanges({}, ['CMD ["x"]', 'ENTRYPOINT ["/e"]']);
  assert.deepEqual(both.Cmd, ['x'], 'a CMD given in the same changes stays');
});

test('ENV in both forms, with quotes and expansion; replaces existing keys', () => {
  const c = applyChanges({ Env: ['PATH=/bin', 'A=old'] }, ['ENV A=1 B="two words" C=${A}x', 'ENV D legacy value here', 'ENV PATH=/usr/bin:$PATH']);
  // As in a Dockerfile, one ENV line expands against the environment before it.
  assert.deepEqual(c.Env, ['A=1', 'B=two words', 'C=oldx', 'D=legacy value here', 'PATH=/usr/bin:/bin']);
  assert.deepEqual(applyChanges({}, ["ENV X='$NOPE' Y=\\$Z"]).Env, ['X=$NOPE', 'Y=$Z']);
  assert.deepEqual(applyChanges({}, ['ENV U=${UNSET:-dflt}']).Env, ['U=dflt']);
  assert.throws(() => applyChanges({}, ['ENV A=1 B']), /can't find =/);
  assert.throws(() => applyChanges({}, ['ENV']), InvalidParameterError);
});

test('EXPOSE, VOLUME, WORKDIR, USER, LABEL, STOPSIGNAL, ONBUILD', () => {
  const c = applyChanges({ WorkingDir: '/app' }, [
    'EXPOSE 80 443/tcp 53/udp 8000-8001',
    'VOLUME ["/data", "/logs"]',
    'VOLUME /cache',
    'WORKDIR sub',
    'WORKDIR /srv/../opt',
    'USER www-data:www-data',
    'LABEL a=b "c d"="e f"',
    'STOPSIGNAL SIGQUIT',
    'ONBUILD RUN echo hi',
  ]);
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}).sort(), ['443/tcp', '53/udp', '80/tcp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(Object.keys(c.Volumes ?? {}).sort(), ['/cache', '/data', '/logs']);
  assert.equal(c.WorkingDir, '/opt');
  assert.equal(applyChanges({ WorkingDir: '/app' }, ['WORKDIR sub']).WorkingDir, '/app/sub');
  assert.equal(c.User, 'www-data:www-data');
  assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e f' });
  assert.equal(c.StopSignal, 'SIGQUIT');
  assert.deepEqual(c.OnBuild, ['RUN echo hi']);
});

test('the base config is not modified', () => {
  const base = { Env: ['A=1'], Labels: { x: 'y' } };
  applyChanges(base, ['ENV A=2', 'LABEL x=z']);
  assert.deepEqual(base, { Env: ['A=1'], Labels: { x: 'y' } });
});

test('instructions that are not config changes are refused with Docker wording', () => {
  assert.throws(() => applyChanges({}, ['RUN rm -rf /']), /^InvalidParameterError: run is not a valid change command$/);
  assert.throws(() => applyChanges({}, ['FROM busybox']), /from is not a valid change command/);
  assert.throws(() => applyChanges({}, ['ONBUILD ONBUILD RUN x']), /isn't allowed/);
  assert.throws(() => applyChanges({}, ['ONBUILD FROM x']), /isn't allowed as an ONBUILD trigger/);
  assert.throws(() => applyChanges({}, ['EXPOSE http']), /invalid containerPort: http/);
  assert.throws(() => applyChanges({}, ['STOPSIGNAL "$"']), /Invalid signal/);
});

test('parseChanges joins entries, skips comments and follows line continuations', () => {
  const ins = parseChanges(['# comment\nCMD ["a"]', '', 'env A=1 \\\n  B=2']);
  assert.deepEqual(ins, [
    { cmd: 'cmd', args: '["a"]' },
    { cmd: 'env', args: 'A=1  B=2' },
  ]);
});

test('parsePortSpec', () => {
  assert.deepEqual(parsePortSpec('80'), ['80/tcp']);
  assert.deepEqual(parsePortSpec('53/UDP'), ['53/udp']);
  assert.throws(() => parsePortSpec('70000'), InvalidParameterError);
  assert.throws(() => parsePortSpec('80/foo'), /invalid proto/);
});
