import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainNames, dnatChangeText, dnatRuleSpec, ensureChainsText, networkRulesText, purgeText } from '../../src/drivers/network/iptables-rules.js';
import { LinkDriver } from '../../src/drivers/network/link-driver.js';
import type { CommandResult } from '../../src/drivers/sys/command.js';

const ch = chainNames('bt1');
const net = { bridge: 'br-a', subnet: '10.1.0.0/24', internal: false, icc: true, masquerade: true };

test('chains carry the daemon bridge name and fit iptables limits', () => {
  assert.deepEqual(ch, { fwd: 'BERTH-FWD-bt1', input: 'BERTH-IN-bt1', iso1: 'BERTH-ISO1-bt1', iso2: 'BERTH-ISO2-bt1', dnat: 'BERTH-DNAT-bt1', post: 'BERTH-POST-bt1' });
  for (const c of Object.values(chainNames('x'.repeat(15)))) assert.ok(c.length <= 28, c);
});

test('network rules: isolation, replies, published ports, outbound NAT, localhost and hairpin masquerade', () => {
  const text = networkRulesText(ch, [net, { ...net, bridge: 'br-b', subnet: '10.2.0.0/24', internal: true, dns: true }]);
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(0, 5), ['*filter', ':BERTH-FWD-bt1 - [0:0]', ':BERTH-IN-bt1 - [0:0]', ':BERTH-ISO1-bt1 - [0:0]', ':BERTH-ISO2-bt1 - [0:0]']);
  assert.equal(lines[5], '-A BERTH-FWD-bt1 -j BERTH-ISO1-bt1');
  assert.ok(lines.includes('-A BERTH-IN-bt1 -i br-b -p udp -m udp --dport 53 -j ACCEPT'));
  assert.ok(!lines.some((l) => l.startsWith('-A BERTH-IN-bt1 -i br-a')), 'no DNS rule without a DNS server');
  for (const l of [
    '-A BERTH-ISO1-bt1 -i br-a ! -o br-a -j BERTH-ISO2-bt1',
    '-A BERTH-ISO2-bt1 -o br-b -j DROP',
    '-A BERTH-FWD-bt1 -o br-a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A BERTH-FWD-bt1 -o br-a -m conntrack --ctstate DNAT -j ACCEPT',
    '-A BERTH-FWD-bt1 -i br-a ! -o br-a -j ACCEPT',
    '-A BERTH-FWD-bt1 -i br-b ! -o br-b -j DROP',
    '-A BERTH-FWD-bt1 -i br-a -o br-a -j ACCEPT',
    '-A BERTH-POST-bt1 -s 10.1.0.0/24 ! -o br-a -j MASQUERADE',
    '-A BERTH-POST-bt1 -s 127.0.0.0/8 -o br-a -j MASQUERADE',
    '-A BERTH-POST-bt1 -s 10.1.0.0/24 -d 10.1.0.0/24 -o br-a -m conntrack --ctstate DNAT -j MASQUERADE',
  ]) assert.ok(lines.includes(l), l);
  assert.ok(!lines.includes('-A BERTH-POST-bt1 -s 10.2.0.0/24 ! -o br-b -j MASQUERADE'), 'internal networks are not NATed out');
  assert.ok(!text.includes(':BERTH-DNAT-bt1'), 'the DNAT chain is kept unless rewritten on purpose');
  assert.ok(networkRulesText(ch, [net], []).includes(':BERTH-DNAT-bt1 - [0:0]'));
  assert.equal(lines.filter((l) => l === 'COMMIT').length, 2);
});

test('DNAT rules per published port, added and deleted in one transaction', () => {
  const r = { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8088, containerIp: '10.1.0.2', containerPort: 80 };
  assert.equal(dnatRuleSpec(ch, r), 'BERTH-DNAT-bt1 -p tcp -m tcp --dport 8088 -j DNAT --to-destination 10.1.0.2:80');
  assert.equal(dnatRuleSpec(ch, { ...r, hostIp: '127.0.0.1', proto: 'udp' }), 'BERTH-DNAT-bt1 -d 127.0.0.1/32 -p udp -m udp --dport 8088 -j DNAT --to-destination 10.1.0.2:80');
  assert.equal(dnatChangeText(ch, [], []), '');
  const t = dnatChangeText(ch, [r], [{ ...r, hostPort: 9 }]).split('\n');
  assert.deepEqual(t, ['*nat', `-D ${dnatRuleSpec(ch, { ...r, hostPort: 9 })}`, `-A ${dnatRuleSpec(ch, r)}`, 'COMMIT', '']);
});

const save = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:BERTH-FWD-bt1 - [0:0]
:BERTH-FWD-other - [0:0]
-A FORWARD -j BERTH-FWD-other
-A FORWARD -j BERTH-FWD-bt1
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:BERTH-DNAT-bt1 - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH-DNAT-bt1
-A BERTH-DNAT-bt1 -p tcp -m tcp --dport 1 -j DNAT --to-destination 10.1.0.2:1
COMMIT
`;

test('missing chains and jumps are added once; present ones are left alone', () => {
  const t = ensureChainsText(ch, save);
  assert.ok(!t.includes('-I FORWARD 1 -j BERTH-FWD-bt1'));
  assert.ok(!t.includes(':BERTH-FWD-bt1 '));
  assert.ok(t.includes(':BERTH-ISO1-bt1 - [0:0]'));
  assert.ok(t.includes(':BERTH-POST-bt1 - [0:0]'));
  assert.ok(!t.includes('PREROUTING'));
  assert.ok(t.includes('-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH-DNAT-bt1'));
  assert.ok(t.includes('-A POSTROUTING -j BERTH-POST-bt1'));
  assert.ok(t.includes('-I INPUT 1 -j BERTH-IN-bt1'));
  assert.ok(ensureChainsText(ch, '').includes('-I FORWARD 1 -j BERTH-FWD-bt1'));
});

test('purge removes only this daemon\'s jumps and chains', () => {
  const t = purgeText(ch, save);
  assert.ok(t.includes('-D FORWARD -j BERTH-FWD-bt1'));
  assert.ok(!t.includes('other'));
  assert.ok(t.includes('-X BERTH-FWD-bt1'));
  assert.ok(t.includes('-D PREROUTING -m addrtype --dst-type LOCAL -j BERTH-DNAT-bt1'));
  assert.ok(t.includes('-X BERTH-DNAT-bt1'));
  assert.equal(purgeText(ch, '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n'), '');
});

test('a sandbox is one ip -batch, run inside the new pinned namespace, that also makes the host end', async () => {
  const scripts: string[] = [];
  const script = async (text: string): Promise<CommandResult> => {
    scripts.push(text);
    return { code: 0, stdout: '', stderr: '' };
  };
  const run = async (): Promise<CommandResult> => ({ code: 0, stdout: '', stderr: '' });
  const d = new LinkDriver(run, script, '/proc/1/ns/net');
  (d as unknown as { ifindexes: Map<string, number> }).ifindexes.set('br-a', 7);
  const file = `/tmp/berth-unit-netns-${process.pid}`;
  await d.createSandbox(file, [{ hostIf: 'vbabc', ifName: 'eth0', mac: '02:42:0a:01:00:02', address: '10.1.0.2/24', bridge: 'br-a', mtu: 1500, defaultGateway: '10.1.0.1' }]);
  await d.destroySandbox(file);
  assert.equal(
    scripts[0],
    [
      `: > '${file}' && unshare --net='${file}' ip -batch - <<'BERTH_EOF'`,
      'link set lo up',
      'link add vbabc netns /proc/1/ns/net master if7 up mtu 1500 type veth peer name eth0 address 02:42:0a:01:00:02 mtu 1500',
      'addr add 10.1.0.2/24 brd + dev eth0',
      'link set eth0 up',
      'route add default via 10.1.0.1 dev eth0',
      'BERTH_EOF',
      '[ $? -eq 0 ] && echo 1 > /sys/class/net/vbabc/brport/hairpin_mode',
    ].join('\n'),
  );
  assert.match(scripts[1], new RegExp(`umount '${file}'`));
});

test('the shell worker runs scripts in order and reports their status and output', async () => {
  const { ShellPool, shq } = await import('../../src/drivers/sys/shell-worker.js');
  const pool = new ShellPool(2);
  try {
    const [a, b, c] = await Promise.all([pool.run('echo one; echo two >&2'), pool.run('false'), pool.run(`cat <<'E'\n${shq("it's")}\nE`)]);
    assert.deepEqual(a, { code: 0, stdout: 'one\ntwo', stderr: '' });
    assert.equal(b.code, 1);
    assert.equal(c.stdout, `'it'\\''s'`);
    // A command that reads stdin gets /dev/null, not the worker's command stream.
    assert.deepEqual(await pool.run('cat; echo after'), { code: 0, stdout: 'after', stderr: '' });
  } finally {
    pool.close();
  }
});
