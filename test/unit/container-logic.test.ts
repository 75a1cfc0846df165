import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogLine, LogDecoder, parseTimestamp, parseTimeParam } from '../../src/engine/containers/container-logs.js';
import { DetachScanner, parseDetachKeys } from '../../src/engine/containers/container-attach.js';
import { effectiveCaps, resolveUser, buildSpec, DEFAULT_CAPS } from '../../src/engine/containers/oci-spec.js';
import { parsePs, startErrorCode } from '../../src/engine/containers/container-service.js';
import { buildRecord, mergeEnv, parseMounts, normalizeHostConfig } from '../../src/engine/containers/container-create.js';
import { parseSignal } from '../../src/engine/containers/signals.js';
import { InvalidParameterError } from '../../src/lib/errors.js';
import type { ImageHandle } from '../../src/engine/images/image-types.js';

test('k8s-file log lines parse and partial records join', () => {
  const rec = parseLogLine(Buffer.from('2024-05-01T12:00:00.123456789+02:00 stderr F oops'))!;
  assert.equal(rec.stream, 2);
  assert.equal(rec.partial, false);
  assert.equal(rec.content.toString(), 'oops');
  assert.equal(rec.time, '2024-05-01T10:00:00.123456789Z');
  const dec = new LogDecoder();
  const a = dec.push(Buffer.from('2024-05-01T12:00:00.000000001Z stdout P hel'));
  assert.equal(a.length, 0);
  const b = dec.push(Buffer.from('\n2024-05-01T12:00:00.000000002Z stdout F lo\n2024-05-01T12:00:01Z stdout F '));
  assert.equal(b.length, 1);
  assert.equal(b[0].data.toString(), 'hello\n');
  const c = dec.push(Buffer.from('\n'));
  assert.equal(c[0].data.toString(), '\n');
  assert.equal(parseLogLine(Buffer.from('garbage')), undefined);
});

test('timestamps and since/until parameters', () => {
  assert.equal(parseTimestamp('1970-01-01T00:00:01.5Z')!.ns, 1_500_000_000n);
  assert.equal(parseTimeParam('1700000000.25'), 1_700_000_000_250_000_000n);
  assert.equal(parseTimeParam('10s', 20_000), 10_000_000_000n);
  assert.equal(parseTimeParam(null), undefined);
  assert.throws(() => parseTimeParam('yesterday'), InvalidParameterError);
});

test('detach keys: default sequence detaches, broken sequences pass through', () => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q');
  assert.deepEqual([...keys], [16, 17]);
  const s = new DetachScanner(keys);
  assert.deepEqual(s.scan(Buffer.from([97, 16])), { forward: Buffer.from([97]), detach: false });
  assert.deepEqual(s.scan(Buffer.from([98])), { forward: Buffer.from([16, 98]), detach: false });
  const r = s.scan(Buffer.from([16, 17, 99]));
  assert.equal(r.detach, true);
  assert.equal(r.forward.length, 0);
  assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-[')], [97, 0, 27]);
  assert.throws(() => parseDetachKeys('ctrl-1x'), /Invalid detach keys/);
});

test('capabilities: defaults, add, drop, ALL', () => {
  assert.deepEqual(effectiveCaps(false, null, null), DEFAULT_CAPS);
  const c = effectiveCaps(false, ['NET_ADMIN'], ['chown']);
  assert.ok(c.includes('CAP_NET_ADMIN'));
  assert.ok(!c.includes('CAP_CHOWN'));
  assert.deepEqual(effectiveCaps(false, ['NET_ADMIN'], ['ALL']), ['CAP_NET_ADMIN']);
  assert.throws(() => effectiveCaps(false, ['FLY'], null), /unknown capability: "FLY"/);
  assert.ok(effectiveCaps(true, null, null).includes('CAP_SYS_ADMIN'));
});

test('users resolve from passwd and group text', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\nnobody:x:65534:65534::/:/bin/false\n';
  const group = 'root:x:0:\nwww-data:x:33:\nstaff:x:50:www-data\n';
  assert.deepEqual(resolveUser('', passwd, group), { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(resolveUser('www-data', passwd, group), { uid: 33, gid: 33, additionalGids: [33, 50] });
  assert.deepEqual(resolveUser('1000:1000', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000] });
  assert.deepEqual(resolveUser('nobody:staff', passwd, group), { uid: 65534, gid: 50, additionalGids: [50] });
  assert.throws(() => resolveUser('ghost', passwd, group), /unable to find user ghost/);
});

test('ps output keeps only the container processes, CMD with spaces intact', () => {
  const out = 'UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:01 /sbin/init\nroot 4242 4200 0 10:01 ? 00:00:00 sleep 1000\n';
  const r = parsePs(out, [4242]);
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes, [['root', '4242', '4200', '0', '10:01', '?', '00:00:00', 'sleep 1000']]);
});

test('start failures map to Docker exit codes', () => {
  assert.deepEqual(startErrorCode('exec: "nope": executable file not found in $PATH', 'nope'), { code: 127, invalid: true });
  assert.deepEqual(startErrorCode('exec /etc/passwd: permission denied', '/etc/passwd'), { code: 126, invalid: true });
  assert.deepEqual(startErrorCode('cgroup trouble', 'sh'), { code: 128, invalid: false });
});

test('signals parse like docker kill -s', () => {
  assert.equal(parseSignal('TERM'), 'SIGTERM');
  assert.equal(parseSignal('9'), 'SIGKILL');
  assert.equal(parseSignal('sigusr1'), 'SIGUSR1');
  assert.equal(parseSignal(undefined), 'SIGKILL');
  assert.throws(() => parseSignal('NOPE'), /Invalid signal: NOPE/);
});

const image: ImageHandle = {
  id: 'sha256:' + 'a'.repeat(64),
  repoTags: ['busybox:latest'],
  config: { Cmd: ['sh'], Env: ['PATH=/bin', 'A=1'], WorkingDir: '/srv', Labels: { from: 'image' } },
  os: 'linux',
  architecture: 'amd64',
  layerDirs: ['/l/1', '/l/2'],
};

test('create merges the image config like dockerd', () => {
  const id = 'b'.repeat(64);
  const rec = buildRecord({ id, name: 'web', body: { Image: 'busybox', Env: ['A=2', 'B=3'], Labels: { x: 'y' } }, image, dataDir: '/d', defaultRuntime: 'runc' });
  assert.equal(rec.Path, 'sh');
  assert.deepEqual(rec.Args, []);
  assert.deepEqual(rec.Config.Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.equal(rec.Config.Hostname, id.slice(0, 12));
  assert.equal(rec.Config.WorkingDir, '/srv');
  assert.deepEqual(rec.Config.Labels, { from: 'image', x: 'y' });
  assert.equal(rec.Name, '/web');
  assert.equal(rec.HostConfig.RestartPolicy.Name, 'no');
  const ep = buildRecord({ id, name: 'x', body: { Image: 'busybox', Entrypoint: ['echo'], Cmd: 'hi' }, image, dataDir: '/d', defaultRuntime: 'runc' });
  assert.equal(ep.Path, 'echo');
  assert.deepEqual(ep.Args, ['hi']);
  // An explicit entrypoint drops the image's Cmd.
  const ep2 = buildRecord({ id, name: 'x', body: { Image: 'busybox', Entrypoint: ['env'] }, image, dataDir: '/d', defaultRuntime: 'runc' });
  assert.deepEqual([ep2.Path, ...ep2.Args], ['env']);
  assert.deepEqual(mergeEnv([], ['X=1']), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'X=1']);
});

test('create refuses wrong types and bad host config with Docker-like messages', () => {
  const id = 'c'.repeat(64);
  assert.throws(
    () => buildRecord({ id, name: 'x', body: { Image: 'busybox', Tty: 'yes' }, image, dataDir: '/d', defaultRuntime: 'runc' }),
    /cannot unmarshal string into Go struct field ContainerConfigWrapper.Tty of type bool/,
  );
  assert.throws(() => normalizeHostConfig({ RestartPolicy: { Name: 'sometimes' } }, 'runc'), /invalid restart policy 'sometimes'/);
  assert.throws(() => normalizeHostConfig({ Memory: 1024 }, 'runc'), /Minimum memory limit allowed is 6MB/);
  assert.throws(() => buildRecord({ id, name: 'x', body: { Image: 'busybox', WorkingDir: 'rel' }, image, dataDir: '/d', defaultRuntime: 'runc' }), /needs to be an absolute path/);
});

test('binds, mounts and tmpfs become mount points', () => {
  const hc = normalizeHostConfig({ Binds: ['/src:/dst:ro', '/a:/b'], Tmpfs: { '/run': 'size=1m' }, Mounts: [{ Type: 'bind', Source: '/m', Target: '/mm' }] }, 'runc');
  const m = parseMounts(hc);
  assert.deepEqual(m.map((x) => [x.Type, x.Source, x.Destination, x.RW]), [
    ['bind', '/src', '/dst', false],
    ['bind', '/a', '/b', true],
    ['bind', '/m', '/mm', true],
    ['tmpfs', '', '/run', true],
  ]);
  assert.throws(() => parseMounts(normalizeHostConfig({ Binds: ['/a:/b', '/c:/b'] }, 'runc')), /Duplicate mount point: \/b/);
  assert.throws(() => parseMounts(normalizeHostConfig({ Binds: ['/a:rel'] }, 'runc')), /must be absolute/);
});

test('OCI spec: namespaces, cgroup path, mounts and env', () => {
  const rec = buildRecord({ id: 'd'.repeat(64), name: 'x', body: { Image: 'busybox', Tty: true, HostConfig: { Memory: 64 * 1024 * 1024, NetworkMode: 'host' } }, image, dataDir: '/d', defaultRuntime: 'runc' });
  const spec = buildSpec({ record: rec, rootfs: '/r', user: { uid: 0, gid: 0, additionalGids: [0] }, network: { mode: 'host' }, cgroupParent: '/berth' }) as any;
  assert.equal(spec.linux.cgroupsPath, '/berth/' + 'd'.repeat(64));
  assert.ok(!spec.linux.namespaces.some((n: { type: string }) => n.type === 'network'));
  assert.equal(spec.linux.resources.memory.limit, 64 * 1024 * 1024);
  assert.equal(spec.process.terminal, true);
  assert.ok(spec.process.env.includes('TERM=xterm'));
  assert.ok(spec.process.env.includes('HOSTNAME=dddddddddddd'));
  assert.ok(spec.mounts.some((m: { destination: string }) => m.destination === '/etc/hosts'));
});
