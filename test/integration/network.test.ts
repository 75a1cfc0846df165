/**
 * Networking against a real berthd with its own bridge (bt<hex>) and 10.123.x.0/22 block:
 * the default bridge, published ports, user networks with the embedded DNS, connect and
 * disconnect, none/host/container modes, bad input, crash leftovers, and nothing left
 * behind. The docker CLI (v28) is the client where the issue says so. Traffic goes only
 * to loopback and to addresses on the test's own bridges.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { repoRoot, run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/busybox.js';

let d: TestDaemon;

function docker(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('docker', args, { env: { DOCKER_HOST: d.host }, timeoutMs: 60_000 });
}

async function ok(...args: string[]): Promise<string> {
  const r = await docker(...args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Retries until the server in a just-started container answers. */
async function getPage(host: string, port: number): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      return await httpGet(host, port);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '0.0.0.0', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const httpd = (page: string): string[] => ['sh', '-c', `mkdir -p /var/www && echo ${page} > /var/www/index.html && exec httpd -f -p 80 -h /var/www`];

function links(): { ifname: string; master?: string }[] {
  return JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout || '[]');
}

function iptablesSave(): string {
  return spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout;
}

async function inspect(name: string): Promise<any> {
  const r = await d.api('GET', `/containers/${name}/json`);
  assert.equal(r.status, 200, r.body);
  return r.json;
}

/** Runs `ip` inside a container's pinned namespace, from the host (no exec needed). */
function ipIn(sandboxKey: string, ...args: string[]): string {
  return spawnSync('nsenter', [`--net=${sandboxKey}`, 'ip', ...args], { encoding: 'utf8' }).stdout;
}

describe('networking against a real berthd', () => {
  let gateway = '';
  const created = new Set<string>();

  before(async () => {
    d = await startTestDaemon('network');
    let r = await d.api('POST', '/images/load?quiet=1', busyboxTar(), { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.body);
    const hello = spawnSync('node', [path.join(repoRoot, 'dist/src/tools/make-hello-image.js')], { maxBuffer: 1 << 30 });
    r = await d.api('POST', '/images/load?quiet=1', hello.stdout, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.body);
    const bridge = await d.api('GET', '/networks/bridge');
    gateway = bridge.json.IPAM.Config[0].Gateway;
    assert.ok(gateway.startsWith('10.123.'), gateway);
  });

  after(async () => {
    await d?.cleanup();
    // Nothing of this daemon remains after its clean-up: bridges, veths, chains.
    const leftovers = links().filter((l) => l.ifname === d.bridge || (l.master && created.has(l.master)));
    assert.deepEqual(leftovers, []);
    assert.ok(!iptablesSave().includes(d.bridge), 'no chain or jump of the test daemon left');
  });

  test('the hello container prints its eth0 address, the one inspect shows (docker CLI)', async () => {
    const out = await ok('run', '--rm', 'berth/hello');
    assert.match(out, /Hello from Chapter 2!/);
    assert.match(out, new RegExp(`inet addr:${gateway.split('.').slice(0, 3).join('\\.')}\\.\\d+`));
    // The same script in a container that stays up, to compare with inspect while it runs.
    await ok('run', '-d', '--name', 'hello', 'berth/hello', 'sh', '-c', '/hello.sh; exec sleep 300');
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('inet addr'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = (await docker('logs', 'hello')).stdout;
    }
    const m = /inet addr:(\S+)/.exec(logs);
    assert.ok(m, logs);
    assert.equal(m[1], await ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'hello'));
    await ok('rm', '-f', 'hello');
    assert.equal((await ok('ps', '-aq', '--filter', 'name=hello')), '');
  });

  test('inspect and list show addresses, MAC from the IP, gateway and endpoint', async () => {
    await ok('run', '-d', '--name', 'idle', 'busybox', 'sleep', '300');
    const c = await inspect('idle');
    const ns = c.NetworkSettings;
    const ep = ns.Networks.bridge;
    assert.equal(ns.IPAddress, ep.IPAddress);
    assert.equal(ns.Gateway, gateway);
    assert.equal(ep.Gateway, gateway);
    assert.equal(ep.IPPrefixLen, 24);
    const bytes = ep.IPAddress.split('.').map((b: string) => Number(b).toString(16).padStart(2, '0'));
    assert.equal(ep.MacAddress, `02:42:${bytes.join(':')}`);
    assert.match(ep.EndpointID, /^[0-9a-f]{64}$/);
    assert.equal(ep.NetworkID, (await d.api('GET', '/networks/bridge')).json.Id);
    assert.ok(ns.SandboxKey.startsWith(d.execRoot));
    const inside = ipIn(ns.SandboxKey, '-o', '-4', 'addr');
    assert.match(inside, new RegExp(`eth0\\s+inet ${ep.IPAddress.replace(/\./g, '\\.')}/24`));
    assert.match(ipIn(ns.SandboxKey, 'route'), new RegExp(`default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
    const hosts = await fsp.readFile(c.HostsPath, 'utf8');
    assert.ok(hosts.includes(`${ep.IPAddress}\t${c.Config.Hostname}`), hosts);
    const list = await d.api('GET', '/containers/json');
    const s = list.json.find((x: any) => x.Names[0] === '/idle');
    assert.equal(s.NetworkSettings.Networks.bridge.IPAddress, ep.IPAddress);
  });

  test('run -d -p HOST:80 serves busybox httpd on 127.0.0.1 and on the bridge address (docker CLI)', async () => {
    const port = await freePort();
    await ok('run', '-d', '--name', 'web', '-p', `${port}:80`, 'busybox', ...httpd('page-from-web'));
    assert.equal((await getPage('127.0.0.1', port)).trim(), 'page-from-web');
    assert.equal((await getPage(gateway, port)).trim(), 'page-from-web');
    const ps = await ok('ps', '--filter', 'name=web', '--format', '{{.Ports}}');
    assert.equal(ps, `0.0.0.0:${port}->80/tcp`);
    const c = await inspect('web');
    assert.deepEqual(c.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }] });
    const list = await d.api('GET', '/containers/json?filters=' + encodeURIComponent(JSON.stringify({ name: ['web'] })));
    assert.deepEqual(list.json[0].Ports, [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: port, Type: 'tcp' }]);
    // Hairpin: another container reaches it through the host's address and port.
    const viaHost = await ok('run', '--rm', 'busybox', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${gateway} ${port}`);
    assert.match(viaHost, /page-from-web/);
    // The same port again is a clear error and leaves no container behind.
    const again = await docker('run', '--rm', '-p', `${port}:80`, 'busybox', 'true');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
  });

  test('-p 127.0.0.1::80 picks a random port that docker port shows and that works (docker CLI)', async () => {
    await ok('run', '-d', '--name', 'web-random', '-p', '127.0.0.1::80', 'busybox', ...httpd('random-page'));
    const line = await ok('port', 'web-random', '80');
    const m = /^127\.0\.0\.1:(\d+)$/.exec(line);
    assert.ok(m, line);
    assert.equal((await getPage('127.0.0.1', Number(m[1]))).trim(), 'random-page');
    assert.equal(await ok('port', 'web-random'), `80/tcp -> 127.0.0.1:${m[1]}`);
    // Bound to 127.0.0.1 only: the bridge address does not forward it.
    await assert.rejects(httpGet(gateway, Number(m[1])));
  });

  test('-P publishes the exposed tcp and udp ports on random host ports', async () => {
    const r = await d.api('POST', '/containers/create?name=exposed', {
      Image: 'busybox',
      Cmd: httpd('exposed-page'),
      ExposedPorts: { '80/tcp': {}, '5353/udp': {} },
      HostConfig: { PublishAllPorts: true },
    });
    assert.equal(r.status, 201, r.body);
    assert.equal((await d.api('POST', '/containers/exposed/start')).status, 204);
    const ports = (await inspect('exposed')).NetworkSettings.Ports;
    assert.ok(ports['80/tcp'][0].HostPort > 0 && ports['5353/udp'][0].HostPort > 0, JSON.stringify(ports));
    assert.equal((await getPage('127.0.0.1', Number(ports['80/tcp'][0].HostPort))).trim(), 'exposed-page');
  });

  test('two containers on a user network reach each other by name, alias and short ID (docker CLI)', async () => {
    await ok('network', 'create', 'appnet');
    const nw = (await d.api('GET', '/networks/appnet')).json;
    created.add(`br-${nw.Id.slice(0, 12)}`);
    assert.ok(nw.IPAM.Config[0].Subnet.startsWith('10.123.'), JSON.stringify(nw.IPAM));
    await ok('run', '-d', '--name', 'srv', '--network', 'appnet', '--network-alias', 'db', 'busybox', ...httpd('srv-page'));
    const srv = await inspect('srv');
    const ep = srv.NetworkSettings.Networks.appnet;
    assert.deepEqual(ep.Aliases, ['db']);
    assert.deepEqual(ep.DNSNames, ['srv', 'db', srv.Id.slice(0, 12)]);
    const out = await ok('run', '--rm', '--network', 'appnet', 'busybox', 'sh', '-c',
      `ping -c1 -W2 srv && ping -c1 -W2 db && nslookup ${srv.Id.slice(0, 12)} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 srv 80 && cat /etc/resolv.conf`);
    assert.match(out, new RegExp(`PING srv \\(${ep.IPAddress.replace(/\./g, '\\.')}\\)`));
    assert.match(out, /1 packets received/);
    assert.match(out, /srv-page/);
    assert.match(out, new RegExp(`nameserver ${nw.IPAM.Config[0].Gateway.replace(/\./g, '\\.')}`));
    // network inspect lists the attached container.
    const containers = (await d.api('GET', '/networks/appnet')).json.Containers;
    assert.equal(containers[srv.Id].Name, 'srv');
    assert.equal(containers[srv.Id].IPv4Address, `${ep.IPAddress}/24`);
    // Another network is isolated: its containers cannot resolve or reach srv.
    await ok('network', 'create', 'othernet');
    const iso = await docker('run', '--rm', '--network', 'othernet', 'busybox', 'sh', '-c', `nslookup srv; ping -c1 -W1 ${ep.IPAddress}`);
    assert.notEqual(iso.code, 0);
    assert.match(iso.stdout + iso.stderr, /NXDOMAIN|can't find/);
  });

  test('connect and disconnect take effect on a running container (docker CLI)', async () => {
    await ok('run', '-d', '--name', 'joiner', 'busybox', 'sleep', '300');
    const key = (await inspect('joiner')).NetworkSettings.SandboxKey;
    await ok('network', 'connect', '--alias', 'late', 'appnet', 'joiner');
    const ep = (await inspect('joiner')).NetworkSettings.Networks.appnet;
    assert.ok(ep.IPAddress);
    assert.match(ipIn(key, '-o', '-4', 'addr'), new RegExp(`eth1\\s+inet ${ep.IPAddress.replace(/\./g, '\\.')}/24`));
    const seen = await ok('run', '--rm', '--network', 'appnet', 'busybox', 'sh', '-c', 'ping -c1 -W2 joiner && ping -c1 -W2 late');
    assert.match(seen, /1 packets received/);
    // Its resolv.conf now points at the embedded server, so it resolves names on appnet.
    const resolv = await fsp.readFile((await inspect('joiner')).ResolvConfPath, 'utf8');
    assert.match(resolv, /^nameserver 10\.123\./m);
    await ok('network', 'disconnect', 'appnet', 'joiner');
    assert.doesNotMatch(ipIn(key, '-o', '-4', 'addr'), /eth1/);
    assert.equal((await inspect('joiner')).NetworkSettings.Networks.appnet, undefined);
    const gone = await docker('run', '--rm', '--network', 'appnet', 'busybox', 'ping', '-c1', '-W1', 'joiner');
    assert.notEqual(gone.code, 0);
    const twice = await d.api('POST', '/networks/appnet/disconnect', { Container: 'joiner' });
    assert.equal(twice.status, 500);
    assert.match(twice.json.message, /is not connected to the network appnet/);
  });

  test('--network none has only lo; --network host sees the host; container:NAME shares a netns', async () => {
    const none = await ok('run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link');
    assert.deepEqual(none.split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
    const host = await ok('run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link');
    assert.ok(host.includes(`: ${d.bridge}:`), host);
    const srvIp = (await inspect('srv')).NetworkSettings.Networks.appnet.IPAddress;
    const side = await ok('run', '--rm', '--network', 'container:srv', 'busybox', 'sh', '-c', 'ip -o -4 addr; printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 127.0.0.1 80');
    assert.ok(side.includes(srvIp), side);
    assert.match(side, /srv-page/);
  });

  test('bad input gets Docker\'s status and message, and nothing is left behind', async () => {
    const api = (m: string, p: string, b?: unknown) => d.api(m, p, b);
    const nets = (await api('GET', '/networks')).json.length;
    let r = await api('POST', '/networks/create', { Name: 'dup', IPAM: { Config: [{ Subnet: (await api('GET', '/networks/appnet')).json.IPAM.Config[0].Subnet }] } });
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'invalid pool request: Pool overlaps with other one on this address space');
    r = await api('POST', '/networks/create', { Name: 'badgw', IPAM: { Config: [{ Subnet: '10.123.250.0/24', Gateway: '10.123.251.1' }] } });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, "invalid network config:\ninvalid gateway 10.123.251.1: parent subnet 10.123.250.0/24 doesn't contain this address");
    r = await api('POST', '/networks/create', { Name: 'appnet' });
    assert.equal(r.status, 409);
    assert.equal(r.json.message, 'network with name appnet already exists');
    r = await api('POST', '/networks/create', { Name: 'bridge' });
    assert.equal(r.status, 403);
    assert.equal((await api('GET', '/networks')).json.length, nets);
    r = await api('DELETE', '/networks/bridge');
    assert.equal(r.status, 403);
    r = await api('DELETE', '/networks/appnet');
    assert.equal(r.status, 403);
    assert.match(r.json.message, /^error while removing network: network appnet has active endpoints \(name:"srv" id:"[0-9a-f]{12}"\)$/);
    r = await api('GET', '/networks/nonet');
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'network nonet not found');

    const before = (await api('GET', '/containers/json?all=1')).json.length;
    const create = (body: Record<string, unknown>) => api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], ...body });
    r = await create({ HostConfig: { NetworkMode: 'nonet' } });
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'network nonet not found');
    const cli = await docker('create', '--pull', 'never', '--network', 'nonet', 'busybox');
    assert.match(cli.stderr, /network nonet not found/);
    r = await create({ HostConfig: { NetworkMode: 'appnet' }, NetworkingConfig: { EndpointsConfig: { appnet: { IPAMConfig: { IPv4Address: '10.99.0.5' } } } } });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'invalid endpoint settings:\nno configured subnet contains IP address 10.99.0.5');
    r = await create({ NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { IPv4Address: gateway.replace(/\.1$/, '.77') } } } } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /user-specified IP address is supported on user-defined networks only/);
    for (const [pb, msg] of [
      [{ '0/tcp': [{ HostPort: '80' }] }, 'invalid port specification: "0/tcp"'],
      [{ '80/tcp': [{ HostPort: '65536' }] }, 'invalid port specification: "65536"'],
      [{ '70000/tcp': [{ HostPort: '80' }] }, 'invalid port specification: "70000/tcp"'],
      [{ '80/sctpx': [{ HostPort: '80' }] }, 'invalid port specification: "80/sctpx"'],
    ] as const) {
      r = await create({ HostConfig: { PortBindings: pb } });
      assert.equal(r.status, 400, JSON.stringify(pb));
      assert.equal(r.json.message, msg);
    }
    assert.equal((await api('GET', '/containers/json?all=1')).json.length, before, 'no container was made by a refused create');

    // An address in use: the start fails (403, as dockerd) and the container holds nothing.
    const srvIp = (await inspect('srv')).NetworkSettings.Networks.appnet.IPAddress;
    r = await api('POST', '/containers/create?name=clash', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'appnet' }, NetworkingConfig: { EndpointsConfig: { appnet: { IPAMConfig: { IPv4Address: srvIp } } } } });
    assert.equal(r.status, 201, r.body);
    r = await api('POST', '/containers/clash/start');
    assert.equal(r.status, 403);
    assert.match(r.json.message, /Address already in use/);

    // A host port some other process listens on: a clear error, no rule, no namespace.
    const holder = net.createServer();
    const port = await new Promise<number>((res) => holder.listen(0, '0.0.0.0', () => res((holder.address() as net.AddressInfo).port)));
    try {
      r = await api('POST', '/containers/create?name=taken', { Image: 'busybox', Cmd: ['true'], HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(port) }] } } });
      assert.equal(r.status, 201, r.body);
      r = await api('POST', '/containers/taken/start');
      assert.equal(r.status, 500);
      assert.match(r.json.message, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
    } finally {
      holder.close();
    }
    assert.ok(!iptablesSave().includes(`--dport ${port} `), 'no DNAT rule for the refused port');
    for (const n of ['clash', 'taken']) {
      const c = await inspect(n);
      assert.equal(c.State.Status, 'created');
      assert.equal(c.NetworkSettings.SandboxKey, '');
      await assert.rejects(fsp.access(path.join(d.execRoot, 'netns', c.Id)));
    }
  });

  test('a crash leaves nothing: leftovers are swept, running containers keep their network', async () => {
    const port = await freePort();
    await ok('run', '-d', '--name', 'survivor', '-p', `${port}:80`, 'busybox', ...httpd('still-here'));
    await getPage('127.0.0.1', port);
    const ipBefore = (await inspect('survivor')).NetworkSettings.IPAddress;
    await d.kill9();
    // What a crash half-way through a start leaves: a pinned namespace with a veth on the
    // bridge and a DNAT rule, for a container berth has no record of.
    const stale = path.join(d.execRoot, 'netns', 'f'.repeat(64));
    await fsp.writeFile(stale, '');
    assert.equal(spawnSync('unshare', [`--net=${stale}`, 'true']).status, 0);
    spawnSync('ip', ['link', 'add', 'vbstaletest1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', stale]);
    spawnSync('ip', ['link', 'set', 'vbstaletest1', 'master', d.bridge]);
    spawnSync('iptables', ['-w', '-t', 'nat', '-A', `BERTH-DNAT-${d.bridge}`, '-p', 'tcp', '-m', 'tcp', '--dport', '1', '-j', 'DNAT', '--to-destination', '10.123.255.254:1']);
    const hostLink = spawnSync('ip', ['link', 'add', 'vbstaletest2', 'type', 'veth', 'peer', 'name', 'vbstaletest3']);
    assert.equal(hostLink.status, 0);
    spawnSync('ip', ['link', 'set', 'vbstaletest2', 'master', d.bridge]);
    await d.restart();
    assert.equal((await getPage('127.0.0.1', port)).trim(), 'still-here', 'the re-adopted container keeps its published port');
    await assert.rejects(fsp.access(stale));
    assert.ok(!links().some((l) => l.ifname.startsWith('vbstaletest')), 'leftover veths removed');
    assert.ok(!iptablesSave().includes('10.123.255.254'), 'stale DNAT rule removed');
    // The re-adopted address stays taken.
    await ok('run', '-d', '--name', 'after-crash', 'busybox', 'sleep', '300');
    assert.notEqual((await inspect('after-crash')).NetworkSettings.IPAddress, ipBefore);
  });

  test('internal networks, static addresses across restarts, --dns, --add-host host-gateway, a removed network', async () => {
    const inner = d.subnet(6);
    const innerIp = inner.replace(/0\/24$/, '50');
    await ok('network', 'create', '--internal', '--subnet', inner, 'inner');
    await ok('run', '-d', '--name', 'in1', '--network', 'inner', '--ip', innerIp, 'busybox', 'sleep', '300');
    const key = (await inspect('in1')).NetworkSettings.SandboxKey;
    assert.doesNotMatch(ipIn(key, 'route'), /default/, 'no default route on an internal network');
    const peer = await ok('run', '--rm', '--network', 'inner', 'busybox', 'sh', '-c', 'ping -c1 -W2 in1 && ip route');
    assert.ok(peer.includes(innerIp), peer);
    assert.doesNotMatch(peer, /default/);
    await ok('restart', '-t', '0', 'in1');
    assert.equal((await inspect('in1')).NetworkSettings.Networks.inner.IPAddress, innerIp, 'a static address comes back');
    const etc = await ok('run', '--rm', '--dns', '10.123.0.53', '--dns-search', 'example.test', '--add-host', 'host.docker.internal:host-gateway', 'busybox', 'sh', '-c', 'cat /etc/resolv.conf /etc/hosts');
    assert.match(etc, /^nameserver 10\.123\.0\.53$/m);
    assert.match(etc, /^search example\.test$/m);
    assert.match(etc, new RegExp(`^${gateway.replace(/\./g, '\\.')}\thost\\.docker\\.internal$`, 'm'));
    // A stopped container whose network was removed meanwhile cannot start (404), as in Docker.
    await ok('network', 'create', 'shortlived');
    await ok('create', '--name', 'orphan', '--network', 'shortlived', 'busybox', 'true');
    await ok('network', 'rm', 'shortlived');
    const r = await d.api('POST', '/containers/orphan/start');
    assert.equal(r.status, 404);
    assert.match(r.json.message, /network shortlived not found/);
  });

  test('berth network and berth port print what docker prints', async () => {
    const berth = (...args: string[]) => run(path.join(repoRoot, 'bin/berth'), args, { env: { BERTH_HOST: d.host } });
    for (const args of [['network', 'ls'], ['network', 'ls', '-q'], ['network', 'ls', '--filter', 'driver=bridge', '--format', '{{.Name}} {{.Driver}}'], ['port', 'web-random'], ['port', 'web-random', '80/tcp']]) {
      const [b, k] = await Promise.all([berth(...args), docker(...args)]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(b.stdout, k.stdout, args.join(' '));
    }
    const [bi, di] = await Promise.all([berth('network', 'inspect', 'appnet'), docker('network', 'inspect', 'appnet')]);
    assert.deepEqual(JSON.parse(bi.stdout), JSON.parse(di.stdout));
    const cliSubnet = d.subnet(7);
    const cliGateway = cliSubnet.replace(/0\/24$/, '254');
    const created = await berth('network', 'create', '--subnet', cliSubnet, '--gateway', cliGateway, '--label', 'by=berth', 'clinet');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^[0-9a-f]{64}\n$/);
    assert.equal((await ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}} {{.Labels.by}}', 'clinet')), `${cliGateway} berth`);
    assert.equal((await berth('network', 'connect', '--alias', 'cli-alias', 'clinet', 'idle')).code, 0);
    assert.deepEqual((await inspect('idle')).NetworkSettings.Networks.clinet.Aliases, ['cli-alias']);
    assert.equal((await berth('network', 'disconnect', 'clinet', 'idle')).code, 0);
    const rm = await berth('network', 'rm', 'clinet', 'no-such-net');
    assert.equal(rm.code, 1);
    assert.equal(rm.stdout, 'clinet\n');
    assert.match(rm.stderr, /network no-such-net not found/);
  });

  test('after rm -f of everything and network prune, no veth, netns file or rule of the test remains', async () => {
    const bridges = new Set([d.bridge]);
    for (const n of (await d.api('GET', '/networks')).json as { Id: string; Name: string }[]) if (!['bridge', 'host', 'none'].includes(n.Name)) bridges.add(`br-${n.Id.slice(0, 12)}`);
    for (const b of bridges) created.add(b);
    const ids = (await ok('ps', '-aq')).split('\n').filter(Boolean);
    if (ids.length) await ok('rm', '-f', ...ids);
    const pruned = await ok('network', 'prune', '-f');
    assert.match(pruned, /appnet/);
    assert.match(pruned, /othernet/);
    assert.deepEqual((await d.api('GET', '/networks')).json.map((n: { Name: string }) => n.Name).sort(), ['bridge', 'host', 'none']);
    // The kernel destroys an unpinned namespace (and its veth) asynchronously.
    for (let i = 0; i < 50 && links().some((l) => l.master && bridges.has(l.master)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(links().filter((l) => (l.master && bridges.has(l.master)) || (bridges.has(l.ifname) && l.ifname !== d.bridge)), []);
    assert.deepEqual(await fsp.readdir(path.join(d.execRoot, 'netns')), []);
    const save = iptablesSave();
    assert.ok(!save.split('\n').some((l) => l.startsWith(`-A BERTH-DNAT-${d.bridge}`)), 'no DNAT rule left');
    for (const b of bridges) if (b !== d.bridge) assert.ok(!save.includes(b), `no rule for removed bridge ${b}`);
  });
});
