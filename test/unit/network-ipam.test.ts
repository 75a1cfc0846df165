import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddressPool,
  DEFAULT_ADDRESS_POOLS,
  contains,
  formatCidr,
  formatIPv4,
  macFromIP,
  overlaps,
  parseAddressPool,
  parseCidr,
  parseIPv4,
  pickFreeSubnet,
} from '../../src/engine/networks/ipam.js';
import { ForbiddenError, InvalidParameterError, UnavailableError } from '../../src/lib/errors.js';

const ip = (s: string): number => parseIPv4(s)!;

test('IPv4 addresses and CIDRs parse and print', () => {
  assert.equal(formatIPv4(ip('10.123.4.255')), '10.123.4.255');
  assert.equal(ip('255.255.255.255'), 0xffffffff);
  for (const bad of ['10.1.1', '10.1.1.256', '1.2.3.4.5', '01.2.3.4', 'a.b.c.d', '']) assert.equal(parseIPv4(bad), undefined, bad);
  assert.equal(formatCidr(parseCidr('10.1.2.3/16')!), '10.1.0.0/16');
  assert.equal(formatCidr(parseCidr('10.1.2.3/16')!, false), '10.1.2.3/16');
  assert.equal(parseCidr('10.1.2.3/33'), undefined);
  assert.equal(parseCidr('10.1.2.3'), undefined);
  assert.ok(contains(parseCidr('10.1.0.0/16')!, ip('10.1.255.254')));
  assert.ok(!contains(parseCidr('10.1.0.0/16')!, ip('10.2.0.1')));
  assert.ok(overlaps(parseCidr('10.0.0.0/8')!, parseCidr('10.200.1.0/24')!));
  assert.ok(!overlaps(parseCidr('10.1.0.0/24')!, parseCidr('10.1.1.0/24')!));
  assert.ok(overlaps(parseCidr('0.0.0.0/0')!, parseCidr('192.168.1.0/24')!));
});

test('the MAC address is 02:42 and the IPv4 bytes, as Docker derives it', () => {
  assert.equal(macFromIP(ip('172.17.0.2')), '02:42:ac:11:00:02');
  assert.equal(macFromIP(ip('10.123.200.255')), '02:42:0a:7b:c8:ff');
});

test('the pool hands out addresses serially, skipping network, gateway, broadcast and used ones', () => {
  const pool = new AddressPool(parseCidr('10.9.0.0/29')!, ip('10.9.0.1'));
  const got = [pool.allocate(), pool.allocate(), pool.allocate()].map(formatIPv4);
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4']);
  pool.release(ip('10.9.0.2'));
  // Not reused at once: the next one is after the last handed out.
  assert.equal(formatIPv4(pool.allocate()), '10.9.0.5');
  assert.equal(formatIPv4(pool.allocate()), '10.9.0.6');
  // Wraps around to the released one.
  assert.equal(formatIPv4(pool.allocate()), '10.9.0.2');
  assert.throws(() => pool.allocate(), UnavailableError);
  assert.equal(pool.size(), 5);
});

test('static addresses: claimed once, never the gateway, must be inside the subnet', () => {
  const pool = new AddressPool(parseCidr('10.9.1.0/24')!, ip('10.9.1.1'));
  pool.claim(ip('10.9.1.50'));
  assert.ok(pool.inUse(ip('10.9.1.50')));
  assert.throws(() => pool.claim(ip('10.9.1.50')), (e: Error) => e instanceof ForbiddenError && e.message === 'Address already in use');
  assert.throws(() => pool.claim(ip('10.9.1.1')), ForbiddenError);
  assert.throws(() => pool.claim(ip('10.9.1.255')), ForbiddenError);
  assert.throws(() => pool.claim(ip('10.9.2.5')), (e: Error) => e instanceof InvalidParameterError && /no configured subnet contains IP address 10.9.2.5/.test(e.message));
  // Dynamic allocation steps over the claimed address.
  for (let i = 0; i < 48; i++) pool.allocate();
  assert.equal(formatIPv4(pool.allocate()), '10.9.1.51');
});

test('an ip-range limits dynamic addresses', () => {
  const pool = new AddressPool(parseCidr('10.9.0.0/16')!, ip('10.9.0.1'), parseCidr('10.9.5.0/30')!);
  assert.deepEqual([pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()].map(formatIPv4), ['10.9.5.0', '10.9.5.1', '10.9.5.2', '10.9.5.3']);
  assert.throws(() => pool.allocate(), UnavailableError);
});

test('a free subnet is the first of the pools that overlaps nothing taken', () => {
  const taken = [parseCidr('172.17.0.0/16')!, parseCidr('172.18.5.0/24')!];
  assert.equal(formatCidr(pickFreeSubnet(DEFAULT_ADDRESS_POOLS, taken)), '172.19.0.0/16');
  const pools = [parseAddressPool('base=10.123.8.0/22,size=24')];
  assert.equal(formatCidr(pickFreeSubnet(pools, [parseCidr('10.123.8.0/24')!])), '10.123.9.0/24');
  assert.throws(() => pickFreeSubnet(pools, [parseCidr('10.123.0.0/16')!]), /fully subnetted/);
  assert.throws(() => parseAddressPool('base=10.0.0.0/16,size=8'), /invalid default address pool/);
  assert.throws(() => parseAddressPool('10.0.0.0/16'), /invalid default address pool/);
});
