import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import {
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
  buildQuery,
  buildResponse,
  parseMessage,
  ptrToIPv4,
  rcodeOf,
} from '../../src/engine/networks/dns-message.js';
import { EmbeddedDns } from '../../src/engine/networks/dns-server.js';
import { containerResolvConf, parseResolvConf, upstreamServers } from '../../src/engine/networks/resolv-conf.js';

test('queries and answers encode and decode', () => {
  const q = parseMessage(buildQuery(0x1234, 'web.appnet', TYPE_A));
  assert.equal(q.id, 0x1234);
  assert.equal(q.flags & 0x0100, 0x0100);
  assert.deepEqual(q.questions, [{ name: 'web.appnet', type: TYPE_A, class: 1 }]);
  const a = parseMessage(buildResponse(q, RCODE_NOERROR, [{ type: TYPE_A, value: '10.1.2.3' }, { type: TYPE_A, value: '10.1.2.4', ttl: 5 }]));
  assert.equal(a.id, 0x1234);
  assert.equal(a.flags & 0x8000, 0x8000, 'QR');
  assert.equal(a.flags & 0x0100, 0x0100, 'RD echoed');
  assert.equal(rcodeOf(a.flags), RCODE_NOERROR);
  assert.deepEqual(a.questions, q.questions);
  assert.deepEqual(a.answers.map((r) => [r.name, r.type, r.data, r.ttl]), [['web.appnet', TYPE_A, '10.1.2.3', 600], ['web.appnet', TYPE_A, '10.1.2.4', 5]]);
  const p = parseMessage(buildResponse(parseMessage(buildQuery(7, '3.2.1.10.in-addr.arpa', TYPE_PTR)), RCODE_NOERROR, [{ type: TYPE_PTR, value: 'web.appnet' }]));
  assert.equal(p.answers[0].data, 'web.appnet');
  assert.equal(rcodeOf(parseMessage(buildResponse(q, RCODE_NXDOMAIN)).flags), RCODE_NXDOMAIN);
  assert.equal(ptrToIPv4('4.3.2.1.in-addr.arpa.'), '1.2.3.4');
  assert.equal(ptrToIPv4('example.com'), undefined);
});

test('malformed messages are refused, pointer loops too', () => {
  assert.throws(() => parseMessage(Buffer.alloc(5)));
  const loop = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.throws(() => parseMessage(loop));
});

function ask(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no answer'));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

test('the embedded server answers known names and relays the rest to an upstream', async () => {
  // A fake upstream on loopback that answers every A query with 192.0.2.77.
  const upstream = dgram.createSocket('udp4');
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  upstream.on('message', (m, r) => upstream.send(buildResponse(parseMessage(m), RCODE_NOERROR, [{ type: TYPE_A, value: '192.0.2.77' }]), r.port, r.address));
  const up = `127.0.0.1:${upstream.address().port}`;
  const dns = new EmbeddedDns('127.0.0.1', (q) => {
    if (q.name === 'web') return q.type === TYPE_A ? { rcode: RCODE_NOERROR, answers: [{ type: TYPE_A, value: '10.0.0.5' }] } : { rcode: RCODE_NOERROR, answers: [] };
    if (q.name === 'dead.example') return { forward: ['127.0.0.1:1'] };
    return { forward: [up] };
  }, 0);
  await dns.start();
  const port = (dns as unknown as { socket: dgram.Socket }).socket.address().port;
  try {
    const a = parseMessage(await ask(port, buildQuery(1, 'web')));
    assert.deepEqual(a.answers.map((r) => r.data), ['10.0.0.5']);
    const six = parseMessage(await ask(port, buildQuery(2, 'web', TYPE_AAAA)));
    assert.equal(rcodeOf(six.flags), RCODE_NOERROR);
    assert.equal(six.answers.length, 0);
    const f = parseMessage(await ask(port, buildQuery(3, 'example.org')));
    assert.equal(f.id, 3);
    assert.deepEqual(f.answers.map((r) => r.data), ['192.0.2.77']);
    const dead = parseMessage(await ask(port, buildQuery(4, 'dead.example')));
    assert.equal(rcodeOf(dead.flags), RCODE_SERVFAIL);
  } finally {
    dns.close();
    upstream.close();
  }
});

test('resolv.conf: embedded server, --dns, or the host resolvers less localhost ones', () => {
  const host = '# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n';
  assert.deepEqual(parseResolvConf(host), { nameservers: ['127.0.0.53', '10.0.0.2'], search: ['corp.example'], options: ['edns0'] });
  assert.equal(containerResolvConf({ host }), 'nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n');
  assert.equal(containerResolvConf({ host: 'nameserver 127.0.0.53\n' }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(containerResolvConf({ host, hostNetwork: true }), 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n');
  assert.equal(containerResolvConf({ host, embedded: '10.123.1.1', search: ['a.example'], options: ['ndots:2'] }), 'nameserver 10.123.1.1\nsearch a.example\noptions ndots:2\n');
  assert.equal(containerResolvConf({ host, dns: ['1.1.1.1'] }), 'nameserver 1.1.1.1\nsearch corp.example\noptions edns0\n');
  assert.deepEqual(upstreamServers(host), ['127.0.0.53', '10.0.0.2']);
  assert.deepEqual(upstreamServers(host, ['9.9.9.9']), ['9.9.9.9']);
});
