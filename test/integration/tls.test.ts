import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import * as net from 'node:net';
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { berthdBin, run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makeCerts(dir: string): Promise<void> {
  const sh = (cmd: string): void => {
    const r = spawnSync('sh', ['-c', cmd], { cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  };
  sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj "/CN=berth test CA"');
  sh('openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj "/CN=127.0.0.1"');
  await fsp.writeFile(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  sh('openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile server.ext');
  sh('openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj "/CN=client"');
  await fsp.writeFile(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  sh('openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function ping(port: number, certs: string, withClientCert: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/_ping',
        ca: spawnSync('cat', [path.join(certs, 'ca.pem')]).stdout,
        ...(withClientCert
          ? { cert: spawnSync('cat', [path.join(certs, 'cert.pem')]).stdout, key: spawnSync('cat', [path.join(certs, 'key.pem')]).stdout }
          : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the API on TCP needs TLS', () => {
  let d: TestDaemon;
  let certs: string;
  let port: number;
  before(async () => {
    certs = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-tls-'));
    await makeCerts(certs);
    port = await freePort();
    d = await startTestDaemon('tls', [
      '-H', `tcp://127.0.0.1:${port}`,
      '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'),
      '--tlscert', path.join(certs, 'server-cert.pem'), '--tlskey', path.join(certs, 'server-key.pem'),
    ]);
  });
  after(async () => {
    await d?.cleanup();
    await fsp.rm(certs, { recursive: true, force: true });
  });

  test('a client with a certificate from the CA is served, one without is refused', async () => {
    assert.equal(await ping(port, certs, true), '200 OK');
    await assert.rejects(ping(port, certs, false));
    // The unix socket keeps working beside it.
    assert.equal((await d.api('GET', '/_ping')).status, 200);
  });

  test('the docker CLI talks to it with DOCKER_TLS_VERIFY', { skip: spawnSync('docker', ['--version']).status !== 0 ? 'no docker CLI' : false }, async () => {
    const r = await run('docker', ['version', '--format', '{{.Server.APIVersion}}'], {
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs },
    });
    assert.equal(r.stdout.trim(), '1.45', r.stderr);
  });

  test('plain TCP is refused unless TLS is explicitly turned off', async () => {
    const p = await freePort();
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-tcp-'));
    try {
      // --bridge none: this daemon is meant to fail at listen; it must not touch the host's network first.
      const r = await run(berthdBin, ['-H', `tcp://127.0.0.1:${p}`, '--data-root', path.join(dir, 'd'), '--exec-root', path.join(dir, 'r'), '--bridge', 'none'], { timeoutMs: 20_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /refusing to listen on tcp:\/\/127.0.0.1:\d+ without TLS/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
