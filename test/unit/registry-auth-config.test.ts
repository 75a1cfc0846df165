import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { credentialsOf, decodeRegistryAuth, encodeRegistryAuth } from '../../src/api/registry-auth.js';
import { configPath, convertToHostname, DOCKER_HUB_KEY, encodeAuthHeader, readConfig, removeAuth, resolveAuth, storeAuth, writeConfig } from '../../src/cli/docker-config.js';
import { canonicalRef, parseImageRef } from '../../src/cli/actions/registry-ops.js';
import { registryDomainOf } from '../../src/drivers/registry/endpoints.js';
import { InvalidParameterError } from '../../src/lib/errors.js';

test('X-Registry-Auth: base64url JSON, padded or not, std base64 too', () => {
  const a = { username: 'u', password: 'p?>~', serveraddress: '127.0.0.1:5000' };
  const url = Buffer.from(JSON.stringify(a)).toString('base64url');
  assert.deepEqual(decodeRegistryAuth(url), a);
  assert.deepEqual(decodeRegistryAuth(Buffer.from(JSON.stringify(a)).toString('base64')), a);
  assert.deepEqual(decodeRegistryAuth(encodeRegistryAuth(a)), a);
  assert.deepEqual(decodeRegistryAuth('e30='), {});
  assert.equal(decodeRegistryAuth(undefined), undefined);
  assert.equal(decodeRegistryAuth(''), undefined);
  assert.throws(() => decodeRegistryAuth('!!!!'), (e: Error) => e instanceof InvalidParameterError && /X-Registry-Auth/.test(e.message));
  assert.deepEqual(credentialsOf({ identitytoken: 'tok' }), { identityToken: 'tok' });
  assert.deepEqual(credentialsOf({ auth: Buffer.from('me:se:cret').toString('base64') }), { username: 'me', password: 'se:cret' });
  assert.deepEqual(credentialsOf({}), {});
});

test('server addresses name registries as docker does', () => {
  assert.equal(registryDomainOf(''), 'docker.io');
  assert.equal(registryDomainOf('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(registryDomainOf('https://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(convertToHostname('http://reg.example:443/x'), 'reg.example:443');
});

test('config.json: store, resolve, remove; other keys kept; written 0600', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cfg-'));
  try {
    const file = configPath({ DOCKER_CONFIG: dir });
    assert.equal(file, path.join(dir, 'config.json'));
    assert.deepEqual(await readConfig(file), {});
    await fsp.writeFile(file, JSON.stringify({ psFormat: '{{.ID}}', auths: { 'https://127.0.0.1:5001': { auth: Buffer.from('a:b').toString('base64') } } }));
    const cfg = await readConfig(file);
    assert.deepEqual(resolveAuth(cfg, '127.0.0.1:5001'), { username: 'a', password: 'b', serveraddress: '127.0.0.1:5001' });
    assert.equal(resolveAuth(cfg, '127.0.0.1:5002'), undefined);
    storeAuth(cfg, '127.0.0.1:5002', { username: 'u', password: 'p' });
    storeAuth(cfg, 'docker.io', { username: 'hub', password: 'x' });
    await writeConfig(file, cfg);
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
    const again = await readConfig(file);
    assert.equal(again.psFormat, '{{.ID}}');
    assert.equal(again.auths?.['127.0.0.1:5002']?.auth, Buffer.from('u:p').toString('base64'));
    assert.equal(resolveAuth(again, 'docker.io')?.username, 'hub');
    assert.ok(again.auths?.[DOCKER_HUB_KEY]);
    assert.ok(removeAuth(again, '127.0.0.1:5001'));
    assert.ok(!removeAuth(again, '127.0.0.1:5001'));
    const h = JSON.parse(Buffer.from(encodeAuthHeader(resolveAuth(again, '127.0.0.1:5002')), 'base64url').toString());
    assert.deepEqual(h, { username: 'u', password: 'p', serveraddress: '127.0.0.1:5002' });
    assert.deepEqual(JSON.parse(Buffer.from(encodeAuthHeader(undefined), 'base64url').toString()), {});
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('image references as the CLI splits them', () => {
  assert.equal(canonicalRef(parseImageRef('busybox')), 'docker.io/library/busybox');
  assert.equal(canonicalRef(parseImageRef('busybox:1.36')), 'docker.io/library/busybox:1.36');
  assert.equal(canonicalRef(parseImageRef('user/app')), 'docker.io/user/app');
  const r = parseImageRef('127.0.0.1:5000/bb/x:v1');
  assert.deepEqual(r, { domain: '127.0.0.1:5000', name: '127.0.0.1:5000/bb/x', path: 'bb/x', tag: 'v1' });
  assert.equal(canonicalRef(parseImageRef(`localhost/x@sha256:${'a'.repeat(64)}`)), `localhost/x@sha256:${'a'.repeat(64)}`);
});
