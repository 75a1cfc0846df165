import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTypes } from '../../src/engine/containers/container-create.js';
import { Router } from '../../src/api/router.js';
import { InvalidParameterError } from '../../src/lib/errors.js';

const fields = { Labels: 'stringmap', Mounts: 'objects', Cmd: 'strslice' } as const;
const check = (body: Record<string, unknown>): void => checkTypes(body, { ...fields }, 'ContainerConfigWrapper');

test('create bodies: element types of maps and lists are checked like Go decoding would', () => {
  check({ Labels: { a: 'b' }, Mounts: [{ Type: 'bind' }], Cmd: 'x' });
  check({ Labels: null, Mounts: null });
  assert.throws(() => check({ Labels: { a: 1 } }), (e: Error) => e instanceof InvalidParameterError && /unmarshal number into Go struct field ContainerConfigWrapper\.Labels of type string/.test(e.message));
  assert.throws(() => check({ Labels: ['a'] }), /unmarshal array into Go struct field ContainerConfigWrapper\.Labels of type map\[string\]string/);
  assert.throws(() => check({ Mounts: [null] }), /unmarshal null into Go struct field ContainerConfigWrapper\.Mounts of type object/);
  assert.throws(() => check({ Mounts: [5] }), InvalidParameterError);
  assert.throws(() => check({ Mounts: { Type: 'bind' } }), /of type \[\]object/);
});

test('a malformed escape in the path is a 400-class error, not a crash', () => {
  const r = new Router();
  r.add('GET', '/containers/:id/json', 'ContainerInspect', async () => undefined);
  assert.equal(r.match('GET', '/containers/abc%20d/json') !== undefined, true);
  assert.throws(() => r.match('GET', '/containers/%E0%A4%A/json'), InvalidParameterError);
});

test('a health check of the wrong shape is refused at create', async () => {
  const { buildRecord } = await import('../../src/engine/containers/container-create.js');
  const image = { id: 'sha256:' + '0'.repeat(64), config: { Cmd: ['sh'] }, layerDirs: [] } as never;
  const input = (Healthcheck: unknown) => ({ id: 'a'.repeat(64), name: 'n', body: { Image: 'busybox', Healthcheck }, image, dataDir: '/tmp', defaultRuntime: 'runc' });
  assert.throws(() => buildRecord(input({ Test: 5 })), /Healthcheck\.Test of type \[\]string/);
  assert.throws(() => buildRecord(input({ Test: ['CMD', 'true'], Interval: '1s' })), /Healthcheck\.Interval of type int64/);
  assert.equal(buildRecord(input({ Test: ['CMD', 'true'], Interval: 1e9 })).Config.Healthcheck?.Interval, 1e9);
});

test('--cpus above the host CPU count is refused with dockerd\'s message', async () => {
  const { normalizeHostConfig } = await import('../../src/engine/containers/container-create.js');
  assert.equal(normalizeHostConfig({ NanoCpus: 2e9 }, 'runc', 2).NanoCpus, 2e9);
  assert.throws(() => normalizeHostConfig({ NanoCpus: 2.5e9 }, 'runc', 2), /range of CPUs is from 0\.01 to 2\.00, as there are only 2 CPUs available$/);
  assert.throws(() => normalizeHostConfig({ NanoCpus: 1e9, CpuQuota: 1000 }, 'runc', 2), /Nano CPUs and CPU Quota cannot both be set/);
});

test('resource values dockerd refuses at create are refused at create', async () => {
  const { normalizeHostConfig, parseCpuList } = await import('../../src/engine/containers/container-create.js');
  const nc = (hc: Record<string, unknown>) => normalizeHostConfig(hc, 'runc', 2);
  const MB = 1024 * 1024;
  assert.throws(() => nc({ Memory: 10 * MB, MemorySwap: 5 * MB }), /Minimum memoryswap limit should be larger than memory limit/);
  assert.throws(() => nc({ MemorySwap: 100 * MB }), /You should always set the Memory limit when using Memoryswap limit/);
  assert.equal(nc({ Memory: 10 * MB, MemorySwap: -1 }).MemorySwap, -1);
  assert.throws(() => nc({ MemoryReservation: 1024 }), /Minimum memory reservation allowed is 6MB/);
  assert.throws(() => nc({ Memory: 10 * MB, MemoryReservation: 100 * MB }), /Minimum memory limit can not be less than memory reservation limit/);
  assert.throws(() => nc({ CpuPeriod: 100 }), /CPU cfs period can not be less than 1ms/);
  assert.throws(() => nc({ CpuQuota: 10 }), /CPU cfs quota can not be less than 1ms/);
  assert.equal(nc({ CpuPeriod: 100_000, CpuQuota: 50_000 }).CpuQuota, 50_000);
  assert.throws(() => nc({ CpusetCpus: '99' }), /^InvalidParameterError: Requested CPUs are not available - requested 99, available: 0-1$|Requested CPUs are not available - requested 99, available: 0-1/);
  assert.throws(() => nc({ CpusetCpus: 'a-b' }), /Invalid value a-b for cpuset cpus/);
  assert.equal(nc({ CpusetCpus: '0-1' }).CpusetCpus, '0-1');
  assert.throws(() => nc({ BlkioWeight: 5 }), /Range of blkio weight is from 10 to 1000/);
  assert.deepEqual(parseCpuList('0-2,4'), [0, 1, 2, 4]);
  assert.equal(parseCpuList('3-1'), undefined);
});

test('an unknown stop signal is refused at create', async () => {
  const { buildRecord } = await import('../../src/engine/containers/container-create.js');
  const image = { id: 'sha256:' + '0'.repeat(64), config: { Cmd: ['sh'] }, layerDirs: [] } as never;
  const input = (StopSignal: string) => ({ id: 'a'.repeat(64), name: 'n', body: { Image: 'busybox', StopSignal }, image, dataDir: '/tmp', defaultRuntime: 'runc' });
  assert.throws(() => buildRecord(input('BOGUS')), /Invalid signal: BOGUS/);
  assert.equal(buildRecord(input('SIGUSR1')).Config.StopSignal, 'SIGUSR1');
});
