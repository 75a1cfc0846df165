/**
 * The networks engine with fake drivers (no root, no kernel): addresses, endpoints, ports,
 * roll-back when a step fails, release, re-adoption and the sweep, and the DNS answers.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventBus } from '../../src/engine/events.js';
import { NetworkService } from '../../src/engine/networks/network-service.js';
import { SandboxService } from '../../src/engine/networks/sandbox-service.js';
import { parseAddressPool } from '../../src/engine/networks/ipam.js';
import type { BridgeNet, DnatRule, Firewall, LinkInfo, LinkOps, VethAttachment } from '../../src/engine/networks/network-drivers.js';
import type { ContainerRecord } from '../../src/engine/containers/container-record.js';
import { RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA } from '../../src/engine/networks/dns-message.js';
import { ForbiddenError, InvalidParameterError, NotFoundError, SystemError } from '../../src/lib/errors.js';

class FakeLinks implements LinkOps {
  calls: string[] = [];
  sandboxes = new Map<string, VethAttachment[]>();
  failNext = false;
  extraLinks: LinkInfo[] = [];
  async ensureBridge(name: string, cidr: string): Promise<void> {
    this.calls.push(`bridge ${name} ${cidr}`);
  }
  async deleteLink(name: string): Promise<void> {
    this.calls.push(`del ${name}`);
  }
  async links(): Promise<LinkInfo[]> {
    return [...[...this.sandboxes.values()].flat().map((a) => ({ ifname: a.hostIf, master: a.bridge, kind: 'veth' })), ...this.extraLinks];
  }
  async usedCidrs(): Promise<string[]> {
    return ['192.0.2.0/24'];
  }
  async createSandbox(nsPath: string, atts: VethAttachment[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new SystemError('ip: RTNETLINK answers: No buffer space available');
    }
    this.sandboxes.set(nsPath, atts);
    await fsp.writeFile(nsPath, '');
  }
  async addInterface(nsPath: string, a: VethAttachment): Promise<void> {
    this.sandboxes.get(nsPath)!.push(a);
  }
  async removeInterface(hostIf: string): Promise<void> {
    for (const atts of this.sandboxes.values()) atts.splice(atts.findIndex((a) => a.hostIf === hostIf), 1);
  }
  async destroySandbox(nsPath: string): Promise<void> {
    this.calls.push(`destroy ${path.basename(nsPath)}`);
    this.sandboxes.delete(nsPath);
    await fsp.rm(nsPath, { force: true });
  }
  async enableForwarding(): Promise<void> {}
}

class FakeFirewall implements Firewall {
  ports: DnatRule[] = [];
  nets: BridgeNet[] = [];
  /** Makes removals slow, as nf_tables deletes are. */
  removalDelayMs = 0;
  async ensure(): Promise<void> {}
  async setNetworks(nets: BridgeNet[], ports?: DnatRule[]): Promise<void> {
    this.nets = nets;
    if (ports) this.ports = [...ports];
  }
  async changePorts(add: DnatRule[], remove: DnatRule[]): Promise<void> {
    if (remove.length && this.removalDelayMs) await new Promise((r) => setTimeout(r, this.removalDelayMs));
    this.ports = this.ports.filter((p) => !remove.some((r) => JSON.stringify(r) === JSON.stringify(p)));
    this.ports.push(...add);
  }
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

async function setup(probe: (proto: string, ip: string, port: number) => Promise<string | undefined> = async () => undefined) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-unit-net-'));
  dirs.push(dir);
  const links = new FakeLinks();
  const firewall = new FakeFirewall();
  const nets = new NetworkService(
    { root: path.join(dir, 'network'), bridge: 'btunit0', bip: '10.77.0.1/24', defaultAddressPools: [parseAddressPool('base=10.77.0.0/22,size=24')], mtu: 1500, ipForward: false, dnsPort: 0, claimDir: dir },
    links,
    firewall,
    new EventBus(),
  );
  const sandboxes = new SandboxService(nets, links, firewall, { netnsDir: path.join(dir, 'netns'), probe, portRange: [40000, 40009], hostResolvConf: async () => 'nameserver 127.0.0.53\nnameserver 10.9.9.9\nsearch corp.test\n' });
  await nets.init();
  await sandboxes.init();
  return { dir, links, firewall, nets, sandboxes };
}

function record(name: string, hc: Record<string, unknown> = {}, exposed?: Record<string, object>): ContainerRecord {
  const id = Buffer.from(name.padEnd(32, '0')).toString('hex').slice(0, 64);
  return {
    Id: id,
    Name: `/${name}`,
    Config: { Hostname: id.slice(0, 12), ExposedPorts: exposed },
    HostConfig: { NetworkMode: 'default', PortBindings: {}, ...hc },
    ResolvConfPath: '/dev/null',
  } as unknown as ContainerRecord;
}

test('the default bridge: an address, a MAC from it, hosts and resolv.conf; release gives everything back', async () => {
  const { links, sandboxes, nets, dir } = await setup();
  assert.deepEqual(links.calls, ['bridge btunit0 10.77.0.1/24']);
  const a = record('a');
  await sandboxes.validate(a, undefined);
  assert.deepEqual(Object.keys(a.NetworkSettings!.Networks), ['bridge']);
  const prepared = await sandboxes.prepare(a);
  assert.deepEqual(prepared.netns, { mode: 'path', path: path.join(dir, 'netns', a.Id) });
  assert.deepEqual(prepared.hosts, [`10.77.0.2\t${a.Id.slice(0, 12)}`]);
  assert.equal(prepared.resolvConf, 'nameserver 10.9.9.9\nsearch corp.test\n', 'localhost resolvers are dropped');
  assert.equal(prepared.hostGateway, '10.77.0.1');
  const ep = a.NetworkSettings!.Networks.bridge;
  assert.equal(ep.IPAddress, '10.77.0.2');
  assert.equal(ep.MacAddress, '02:42:0a:4d:00:02');
  assert.equal(ep.Gateway, '10.77.0.1');
  assert.equal(ep.DNSNames, null, 'no DNS names on the default bridge');
  const att = links.sandboxes.get(prepared.netns.mode === 'path' ? prepared.netns.path : '')![0];
  assert.equal(att.ifName, 'eth0');
  assert.equal(att.defaultGateway, '10.77.0.1');
  assert.equal(att.hostIf, `vb${ep.EndpointID.slice(0, 11)}`);
  assert.equal(Object.keys(nets.inspect('bridge').Containers as object).length, 1);
  await sandboxes.release(a);
  await sandboxes.release(a);
  assert.equal(a.NetworkSettings!.Networks.bridge.IPAddress, '');
  assert.equal(a.NetworkSettings!.SandboxKey, '');
  assert.equal(links.sandboxes.size, 0);
  assert.equal(Object.keys(nets.inspect('bridge').Containers as object).length, 0);
  // The next container does not get the just-released address (serial allocation).
  const b = record('b');
  await sandboxes.validate(b, undefined);
  await sandboxes.prepare(b);
  assert.equal(b.NetworkSettings!.Networks.bridge.IPAddress, '10.77.0.3');
});

test('published ports: given, random and taken; a failed set-up leaves no address, port or rule', async () => {
  const busy = new Set([40000, 8081]);
  const { sandboxes, firewall, links } = await setup(async (_p, _ip, port) => (busy.has(port) ? 'EADDRINUSE' : undefined));
  const web = record('web', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] } });
  await sandboxes.validate(web, undefined);
  await sandboxes.prepare(web);
  assert.deepEqual(web.NetworkSettings!.Ports, {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
    '53/udp': [{ HostIp: '127.0.0.1', HostPort: '40001' }],
  });
  assert.deepEqual(firewall.ports, [
    { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: '10.77.0.2', containerPort: 80 },
    { proto: 'udp', hostIp: '127.0.0.1', hostPort: 40001, containerIp: '10.77.0.2', containerPort: 53 },
  ]);
  // 8080 is berth's own now; 8081 is some host process's.
  for (const port of ['8080', '8081']) {
    const again = record(`again${port}`, { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: port }] } });
    await sandboxes.validate(again, undefined);
    await assert.rejects(sandboxes.prepare(again), (e: Error) => e instanceof SystemError && e.message.includes(`Bind for 0.0.0.0:${port} failed: port is already allocated`));
    assert.equal(again.NetworkSettings!.Networks.bridge.IPAddress, '');
  }
  // A range takes the first free port of it.
  const ranged = record('ranged', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080-8082' }] } });
  await sandboxes.validate(ranged, undefined);
  await sandboxes.prepare(ranged);
  assert.equal(ranged.NetworkSettings!.Ports['80/tcp']![0].HostPort, '8082');
  // The kernel refuses: the address and the ports go back, the rule is removed again.
  links.failNext = true;
  const unlucky = record('unlucky', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '9090' }] } });
  await sandboxes.validate(unlucky, undefined);
  await assert.rejects(sandboxes.prepare(unlucky), /No buffer space/);
  assert.ok(!firewall.ports.some((p) => p.hostPort === 9090));
  const retry = record('retry', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '9090' }] } });
  await sandboxes.validate(retry, undefined);
  await sandboxes.prepare(retry);
  assert.equal(retry.NetworkSettings!.Ports['80/tcp']![0].HostPort, '9090');
  // Removing a port rule is slow: release does not wait for it, but the port stays taken
  // until the rule is gone, and a start that asks for it waits.
  firewall.removalDelayMs = 50;
  const t0 = Date.now();
  await sandboxes.release(web);
  assert.ok(Date.now() - t0 < 40, 'release does not wait for the rule removal');
  assert.ok(firewall.ports.some((p) => p.hostPort === 8080), 'the rule is still being removed');
  const next = record('next', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } });
  await sandboxes.validate(next, undefined);
  await sandboxes.prepare(next);
  assert.equal(next.NetworkSettings!.Ports['80/tcp']![0].HostPort, '8080');
  assert.deepEqual(firewall.ports.filter((p) => p.hostPort === 8080).map((p) => p.containerIp), [next.NetworkSettings!.Networks.bridge.IPAddress]);
  assert.notEqual(next.NetworkSettings!.Networks.bridge.IPAddress, '10.77.0.2', 'the old address was still taken while its rule existed');
  await sandboxes.settled();
});

test('create-time validation: unknown networks, addresses outside the subnet, aliases on the default bridge, ports', async () => {
  const { sandboxes, nets } = await setup();
  await assert.rejects(sandboxes.validate(record('x', { NetworkMode: 'nonet' }), undefined), (e: Error) => e instanceof NotFoundError && e.message === 'network nonet not found');
  await nets.create({ Name: 'app', IPAM: { Config: [{ Subnet: '10.77.5.0/24' }] } });
  await assert.rejects(
    sandboxes.validate(record('x', { NetworkMode: 'app' }), { app: { IPAMConfig: { IPv4Address: '10.77.6.9' } } }),
    (e: Error) => e instanceof InvalidParameterError && e.message === 'invalid endpoint settings:\nno configured subnet contains IP address 10.77.6.9',
  );
  await assert.rejects(sandboxes.validate(record('x'), { bridge: { Aliases: ['a'] } }), /network-scoped aliases are only supported for user-defined networks/);
  await assert.rejects(sandboxes.validate(record('x', { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } }), undefined), /invalid port specification: "99999"/);
  await assert.rejects(sandboxes.validate(record('x', { NetworkMode: 'container:abc', PublishAllPorts: true }), undefined), /port publishing and the container type network mode/);
  await assert.rejects(nets.create({ Name: 'app2', IPAM: { Config: [{ Subnet: '10.77.5.128/25' }] } }), ForbiddenError);
  await assert.rejects(nets.remove('bridge'), /bridge is a pre-defined network and cannot be removed/);
  const c = record('c', { NetworkMode: 'app' });
  await sandboxes.validate(c, { app: { IPAMConfig: { IPv4Address: '10.77.5.9' } } });
  await sandboxes.prepare(c);
  assert.equal(c.NetworkSettings!.Networks.app.IPAddress, '10.77.5.9');
  await assert.rejects(nets.remove('app'), /network app has active endpoints \(name:"c" id:"[0-9a-f]{12}"\)/);
  const d = record('d', { NetworkMode: 'app' });
  await sandboxes.validate(d, { app: { IPAMConfig: { IPv4Address: '10.77.5.9' } } });
  await assert.rejects(sandboxes.prepare(d), (e: Error) => e instanceof ForbiddenError && e.message === 'Address already in use');
});

test('the embedded DNS answers names on the asking container\'s networks and forwards the rest', async () => {
  const { sandboxes, nets } = await setup();
  const { Id: appId } = await nets.create({ Name: 'app' });
  await nets.create({ Name: 'other' });
  const db = record('db', { NetworkMode: 'app' });
  await sandboxes.validate(db, { app: { Aliases: ['database'] } });
  await sandboxes.prepare(db);
  const web = record('web', { NetworkMode: 'app' });
  await sandboxes.validate(web, undefined);
  await sandboxes.prepare(web);
  const lone = record('lone', { NetworkMode: 'other' });
  await sandboxes.validate(lone, undefined);
  await sandboxes.prepare(lone);
  const dbIp = db.NetworkSettings!.Networks.app.IPAddress;
  const ask = (netId: string, name: string, src: string, type = TYPE_A) =>
    (nets as unknown as { dnsLookup: (n: string, q: object, s: string) => unknown }).dnsLookup(netId, { name, type, class: 1 }, src);
  const webIp = web.NetworkSettings!.Networks.app.IPAddress;
  for (const n of ['db', 'DB.', 'database', db.Id.slice(0, 12), 'db.app']) {
    assert.deepEqual(ask(appId, n, webIp), { rcode: RCODE_NOERROR, answers: [{ type: TYPE_A, value: dbIp }] }, n);
  }
  assert.deepEqual(ask(appId, 'db', webIp, TYPE_AAAA), { rcode: RCODE_NOERROR, answers: [] });
  assert.deepEqual(ask(appId, 'nosuch', webIp), { rcode: RCODE_NXDOMAIN, answers: [] });
  assert.deepEqual(ask(appId, 'example.org', webIp), { forward: ['127.0.0.53', '10.9.9.9'] });
  assert.deepEqual(db.NetworkSettings!.Networks.app.DNSNames, ['db', 'database', db.Id.slice(0, 12)]);
  // A container on another network does not see them.
  const otherId = nets.get('other').Id;
  assert.deepEqual(ask(otherId, 'db', lone.NetworkSettings!.Networks.other.IPAddress), { rcode: RCODE_NXDOMAIN, answers: [] });
  // Connected live, it does.
  await sandboxes.connect(lone, 'app', { Aliases: ['solo'] }, true);
  assert.deepEqual(ask(appId, 'solo', dbIp), { rcode: RCODE_NOERROR, answers: [{ type: TYPE_A, value: lone.NetworkSettings!.Networks.app.IPAddress }] });
  await assert.rejects(sandboxes.connect(lone, 'app', undefined, true), (e: Error) => e instanceof ForbiddenError && /already exists in network app/.test(e.message));
  await sandboxes.disconnect(lone, 'app', false, true);
  assert.deepEqual(ask(appId, 'solo', dbIp), { rcode: RCODE_NXDOMAIN, answers: [] });
  await assert.rejects(sandboxes.disconnect(lone, 'app', false, true), /is not connected to the network app/);
});

test('after a restart: running containers are re-adopted, everything else is swept', async () => {
  const { sandboxes, links, firewall, nets, dir } = await setup();
  const kept = record('kept', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } });
  await sandboxes.validate(kept, undefined);
  await sandboxes.prepare(kept);
  // A fresh engine over the same state, as after a crash: one running container, plus a
  // stray namespace file and a stray veth on the bridge.
  const links2 = new FakeLinks();
  links2.sandboxes = links.sandboxes;
  links2.extraLinks = [{ ifname: 'vbstray', master: 'btunit0', kind: 'veth' }, { ifname: 'eth0', kind: 'veth' }];
  const firewall2 = new FakeFirewall();
  const nets2 = new NetworkService({ ...nets.opts }, links2, firewall2, new EventBus());
  const sandboxes2 = new SandboxService(nets2, links2, firewall2, { netnsDir: path.join(dir, 'netns'), hostResolvConf: async () => '' });
  await nets2.init();
  await sandboxes2.init();
  await fsp.writeFile(path.join(dir, 'netns', 'f'.repeat(64)), '');
  await sandboxes2.restore(kept);
  await sandboxes2.sweep();
  assert.deepEqual(firewall2.ports, firewall.ports, 'the live container\'s rule is rewritten, nothing else');
  assert.ok(links2.calls.includes(`destroy ${'f'.repeat(64)}`));
  assert.ok(links2.calls.includes('del vbstray'));
  assert.ok(!links2.calls.includes('del eth0'), 'links not on berth\'s bridges are left alone');
  assert.deepEqual(await fsp.readdir(path.join(dir, 'netns')), [kept.Id]);
  // Its address and port stay taken.
  const next = record('next', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } });
  await sandboxes2.validate(next, undefined);
  await assert.rejects(sandboxes2.prepare(next), /port is already allocated/);
  const other = record('other');
  await sandboxes2.validate(other, undefined);
  await sandboxes2.prepare(other);
  assert.notEqual(other.NetworkSettings!.Networks.bridge.IPAddress, kept.NetworkSettings!.Networks.bridge.IPAddress);
});
