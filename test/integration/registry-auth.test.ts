/**
 * Registry authentication with a real berthd and docker-registry on 127.0.0.1: htpasswd
 * basic auth over TLS, and bearer tokens from a token service (JWTs signed here, as
 * Docker Hub's), through `berth login` (credentials in config.json) and the real docker
 * CLI; wrong credentials; token caching; TLS verification with certs.d CAs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { berthBin, run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';
import { makeCert, registrySkipReason, startRegistry, startTokenServer, type TestRegistry, type TokenServer } from '../helpers/registry.js';
import { RegistryClient } from '../../src/drivers/registry/registry-client.js';

const skip = registrySkipReason();

interface Clis {
  docker(args: string[], input?: string): ReturnType<typeof run>;
  berth(args: string[], input?: string): ReturnType<typeof run>;
  config(): Promise<any>;
}

function clis(d: () => TestDaemon, cfgDir: () => string): Clis {
  const env = (): Record<string, string> => ({ DOCKER_HOST: d().host, DOCKER_CONFIG: cfgDir() });
  return {
    docker: (args, input) => run('docker', args, { env: env(), input, timeoutMs: 120_000 }),
    berth: (args, input) => run(berthBin, args, { env: env(), input, timeoutMs: 120_000 }),
    config: async () => JSON.parse(await fsp.readFile(path.join(cfgDir(), 'config.json'), 'utf8')),
  };
}

/** tag + push + rmi, then `docker run` pulls it again and runs it. */
async function shareAndRun(c: Clis, name: string): Promise<void> {
  assert.equal((await c.docker(['tag', 'busybox', name])).code, 0);
  const push = await c.docker(['push', name]);
  assert.equal(push.code, 0, push.stdout + push.stderr);
  assert.match(push.stdout, /latest: digest: sha256:[a-f0-9]{64} size: \d+/);
  assert.equal((await c.docker(['rmi', name])).code, 0);
  const r = await c.docker(['run', '--rm', name, 'echo', 'ok']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ok\n');
  assert.match(r.stderr, /Downloaded newer image/);
}

describe('registry auth: htpasswd over TLS', { skip }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let dir: string;
  const c = clis(() => d, () => path.join(dir, 'docker-config'));

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-regauth-basic-'));
    reg = await startRegistry('basic-tls', { tls: await makeCert(dir), htpasswd: { user: 'alice', password: 's3cret' } });
    d = await startTestDaemon('registry-basic');
    await loadBusybox(d);
  });

  after(async () => {
    await d?.cleanup();
    await reg?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  test('without credentials a push is refused', async () => {
    await c.docker(['tag', 'busybox', `${reg.host}/private/bb`]);
    const r = await c.docker(['push', `${reg.host}/private/bb`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /no basic auth credentials/);
  });

  test('wrong credentials: a clear 401', async () => {
    const r = await c.berth(['login', '-u', 'alice', '--password-stdin', reg.host], 'wrong\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`login attempt to https://${reg.host}/v2/ failed with status: 401 Unauthorized`));
    const api = await d.api('POST', '/auth', { username: 'alice', password: 'nope', serveraddress: reg.host });
    assert.equal(api.status, 401);
  });

  test('berth login stores the credentials; the docker CLI uses them to push and run', async () => {
    const r = await c.berth(['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Login Succeeded\n');
    const cfg = await c.config();
    assert.equal(cfg.auths[reg.host].auth, Buffer.from('alice:s3cret').toString('base64'));
    await shareAndRun(c, `${reg.host}/private/bb`);
  });

  test('the docker CLI logs in through berthd too; berth logout forgets', async () => {
    const r = await c.docker(['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded/);
    const out = await c.berth(['logout', reg.host]);
    assert.equal(out.stdout, `Removing login credentials for ${reg.host}\n`);
    assert.equal((await c.config()).auths[reg.host], undefined);
    assert.equal((await c.berth(['logout', reg.host])).stdout, `Not logged in to ${reg.host}\n`);
    await c.docker(['rmi', `${reg.host}/private/bb`]);
    const pull = await c.docker(['pull', `${reg.host}/private/bb`]);
    assert.notEqual(pull.code, 0);
    assert.match(pull.stderr, /no basic auth credentials/);
  });
});

describe('registry auth: bearer tokens from a token service', { skip }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let ts: TokenServer;
  let dir: string;
  const c = clis(() => d, () => path.join(dir, 'docker-config'));

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-regauth-token-'));
    ts = await startTokenServer(dir, { bob: 'hunter2' });
    reg = await startRegistry('token', { token: { realm: ts.realm, service: ts.service, issuer: ts.issuer, rootCertFile: ts.cert.certFile } });
    d = await startTestDaemon('registry-token');
    await loadBusybox(d);
  });

  after(async () => {
    await d?.cleanup();
    await reg?.stop();
    await ts?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  test('wrong credentials: unauthorized from the token service', async () => {
    const r = await c.berth(['login', '-u', 'bob', '-p', 'nope', reg.host]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /WARNING! Using --password via the CLI is insecure/);
    assert.match(r.stderr, new RegExp(`Get "http://${reg.host}/v2/": unauthorized: incorrect username or password`));
  });

  test('berth login gets an identity token; push, rmi, run with it; tokens are cached', async () => {
    const r = await c.berth(['login', '-u', 'bob', '--password-stdin', reg.host], 'hunter2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Login Succeeded\n');
    const entry = (await c.config()).auths[reg.host];
    assert.match(entry.identitytoken, /^rt-/);
    await shareAndRun(c, `${reg.host}/team/bb`);
    // Scoped tokens came from the refresh-token grant.
    assert.ok(ts.requests.some((q) => q.refresh && q.account === 'bob' && q.scopes.includes('repository:team/bb:pull,push')), JSON.stringify(ts.requests));
    const before = ts.requests.length;
    const again = await c.docker(['pull', `${reg.host}/team/bb`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Image is up to date/);
    assert.equal(ts.requests.length, before, 'the pull token was reused from the cache');
  });

  test('anonymous tokens: pull of a public repository works, a private one is refused', async () => {
    assert.equal((await c.docker(['tag', 'busybox', `${reg.host}/public/bb`])).code, 0);
    assert.equal((await c.docker(['push', `${reg.host}/public/bb`])).code, 0);
    assert.equal((await c.berth(['logout', reg.host])).code, 0);
    await c.docker(['rmi', `${reg.host}/public/bb`, `${reg.host}/team/bb`]);
    const pub = await c.docker(['pull', `${reg.host}/public/bb`]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.ok(ts.requests.some((q) => q.account === undefined && !q.refresh && q.scopes.includes('repository:public/bb:pull')));
    const priv = await c.docker(['pull', `${reg.host}/team/bb`]);
    assert.notEqual(priv.code, 0);
    assert.match(priv.stderr, /unauthorized|denied/);
  });
});

describe('registry TLS: certificates are verified, certs.d CAs trusted', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-regtls-'));
    reg = await startRegistry('tls', { tls: await makeCert(dir) });
  });

  after(async () => {
    await reg?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  const client = (): RegistryClient =>
    // Loopback is not insecure here, so TLS is verified as for any remote registry.
    new RegistryClient({ insecureRegistries: [], mirrors: [], certsDirs: [path.join(dir, 'certs.d')], dockerIoEndpoint: 'http://127.0.0.1:9', defaultInsecure: [] });

  test('an unknown CA is refused; its ca.crt under certs.d/HOST:PORT makes it trusted', async () => {
    const c1 = client();
    try {
      await assert.rejects(c1.login(reg.host, {}), /Get "https:\/\/127\.0\.0\.1:\d+\/v2\/": tls: failed to verify certificate: x509: certificate signed by unknown authority/);
    } finally {
      c1.close();
    }
    await fsp.mkdir(path.join(dir, 'certs.d', reg.host), { recursive: true });
    await fsp.copyFile(path.join(dir, 'tls.crt'), path.join(dir, 'certs.d', reg.host, 'ca.crt'));
    const c2 = client();
    try {
      assert.deepEqual(await c2.login(reg.host, {}), { identityToken: '' });
      const repo = await c2.repository(reg.host, 'nothing');
      await assert.rejects(repo.getManifest('latest'), /unknown/);
    } finally {
      c2.close();
    }
    // Listed as insecure: no verification (and no CA needed).
    const c3 = new RegistryClient({ insecureRegistries: [reg.host], mirrors: [], certsDirs: [], dockerIoEndpoint: 'http://127.0.0.1:9', defaultInsecure: [] });
    try {
      assert.deepEqual(await c3.login(reg.host, {}), { identityToken: '' });
    } finally {
      c3.close();
    }
  });
});
