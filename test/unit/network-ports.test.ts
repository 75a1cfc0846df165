import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPortRange, parsePortKey, portMap, portRequests, validatePorts } from '../../src/engine/networks/port-spec.js';
import { InvalidParameterError } from '../../src/lib/errors.js';

test('port keys: number and protocol, with dockerd messages for bad ones', () => {
  assert.deepEqual(parsePortKey('80'), { port: 80, proto: 'tcp' });
  assert.deepEqual(parsePortKey('53/UDP'), { port: 53, proto: 'udp' });
  assert.deepEqual(parsePortKey('9/sctp'), { port: 9, proto: 'sctp' });
  for (const bad of ['0/tcp', '65536/tcp', '80/foo', 'x/tcp', '80/tcp/x', '']) {
    assert.throws(() => parsePortKey(bad), (e: Error) => e instanceof InvalidParameterError && e.message === `invalid port specification: "${bad}"`, bad);
  }
});

test('host ports: one, a range, or any', () => {
  assert.deepEqual(parseHostPortRange(''), [0, 0]);
  assert.deepEqual(parseHostPortRange('0'), [0, 0]);
  assert.deepEqual(parseHostPortRange('8080'), [8080, 8080]);
  assert.deepEqual(parseHostPortRange('8000-8010'), [8000, 8010]);
  for (const bad of ['70000', '8010-8000', 'abc', '1-70000']) assert.throws(() => parseHostPortRange(bad), /invalid port specification/);
});

test('validation covers exposed ports, bindings and host addresses', () => {
  validatePorts({ '80/tcp': [{ HostIp: '', HostPort: '8088' }] }, { '443/tcp': {} });
  assert.throws(() => validatePorts({ '80/tcp': [{ HostIp: '', HostPort: '99999' }] }, undefined), /invalid port specification: "99999"/);
  assert.throws(() => validatePorts(undefined, { '0/tcp': {} }), /invalid port specification: "0\/tcp"/);
  assert.throws(() => validatePorts({ '80/tcp': [{ HostIp: 'nope', HostPort: '1' }] }, undefined), /invalid host IP address/);
});

test('requests: bindings, -P for exposed ports without bindings, IPv6 host addresses skipped', () => {
  const reqs = portRequests(
    { '80/tcp': [{ HostIp: '', HostPort: '8088' }, { HostIp: '::', HostPort: '8088' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    { '80/tcp': {}, '443/tcp': {} },
    true,
  );
  assert.deepEqual(reqs, [
    { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPortLo: 8088, hostPortHi: 8088 },
    { proto: 'udp', containerPort: 53, hostIp: '127.0.0.1', hostPortLo: 0, hostPortHi: 0 },
    { proto: 'tcp', containerPort: 443, hostIp: '0.0.0.0', hostPortLo: 0, hostPortHi: 0 },
  ]);
  assert.equal(portRequests(undefined, { '443/tcp': {} }, false).length, 0);
});

test('NetworkSettings.Ports lists exposed ports (null) and their bindings', () => {
  const m = portMap([{ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8088 }], { '80/tcp': {}, '443/tcp': {} }, { '80/tcp': [{ HostPort: '8088' }] });
  assert.deepEqual(m, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8088' }], '443/tcp': null });
});
