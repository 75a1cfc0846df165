/**
 * events, system df, system prune and update: the formatting as docker computes it,
 * then the commands end to end against a fake daemon on a unix socket.
 */
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { DiskUsage, EventMessage } from '../../src/client/types.js';
import { renderOne } from '../../src/cli/format/formatter.js';
import {
  diskUsageSummaryRows,
  emptyEventRow,
  eventRow,
  eventTimeNano,
  formatDiskUsage,
  formatEventLine,
  imagesPrunedSection,
  naturalLess,
  pruneSection,
  pruneSummary,
  reclaimableText,
  systemPruneWarning,
} from '../../src/cli/format/system-format.js';
import { getTimestamp } from '../../src/cli/timestamps.js';
import { parseUpdateRestartPolicy } from '../../src/cli/actions/container-update.js';
import { main } from '../../src/cli/root.js';

const ID = '0123456789ab'.padEnd(64, 'c');
const startLine = JSON.stringify({
  status: 'start',
  id: ID,
  from: 'busybox',
  Type: 'container',
  Action: 'start',
  Actor: { ID, Attributes: { name: 'web', image: 'busybox' } },
  scope: 'local',
  time: 1714564800,
  timeNano: 0,
  // The daemon's exact digits (a double cannot hold them).
}).replace('"timeNano":0', '"timeNano":1714564800123456789');

describe('events output', () => {
  it('prints docker’s line: fixed nanoseconds, type, action, actor, attributes sorted by key', () => {
    const ev = JSON.parse(startLine) as EventMessage;
    const ns = eventTimeNano(ev, startLine);
    assert.equal(ns, 1714564800123456789n, 'the daemon’s digits, not a rounded double');
    assert.equal(formatEventLine(ev, ns, 0), `2024-05-01T12:00:00.123456789Z container start ${ID} (image=busybox, name=web)\n`);
    assert.equal(formatEventLine(ev, ns, 120), `2024-05-01T14:00:00.123456789+02:00 container start ${ID} (image=busybox, name=web)\n`);
    assert.equal(formatEventLine(ev, ns, -330), `2024-05-01T06:30:00.123456789-05:30 container start ${ID} (image=busybox, name=web)\n`);
  });

  it('pads the fraction, falls back to whole seconds, and leaves out empty attributes', () => {
    const net: EventMessage = { Type: 'network', Action: 'create', Actor: { ID: 'n1', Attributes: {} }, scope: 'local', time: 1714564800, timeNano: 0 };
    assert.equal(formatEventLine(net, eventTimeNano(net), 0), '2024-05-01T12:00:00.000000000Z network create n1\n');
    const bare: EventMessage = { Type: 'daemon', Action: 'reload', Actor: null };
    assert.equal(formatEventLine(bare, 0n, 0), 'daemon reload \n');
    const ns = 1714564800_000000042n;
    assert.equal(formatEventLine({ ...net, Actor: { ID: 'n1', Attributes: { z: '1', a: 'x y' } } }, ns, 0), '2024-05-01T12:00:00.000000042Z network create n1 (a=x y, z=1)\n');
  });

  it('renders templates over events.Message: Go field names, JSON tags in field order for {{json .}}', () => {
    const ev = JSON.parse(startLine) as EventMessage;
    const row = eventRow(ev, eventTimeNano(ev, startLine));
    assert.equal(renderOne('{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.TimeNano}} {{.Time}} {{.Status}} {{.From}} {{.Scope}}', row), 'container start web 1714564800123456789 1714564800 start busybox local');
    assert.equal(
      renderOne('{{json .}}', row),
      `{"status":"start","id":"${ID}","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"${ID}","Attributes":{"image":"busybox","name":"web"}},"scope":"local","time":1714564800,"timeNano":1714564800123456789}`,
    );
    const net = eventRow({ Type: 'network', Action: 'connect', Actor: { ID: 'n', Attributes: null }, scope: 'local', time: 1, timeNano: 1000000000 }, 1000000000n);
    assert.equal(renderOne('{{json .}}', net), '{"Type":"network","Action":"connect","Actor":{"ID":"n","Attributes":null},"scope":"local","time":1,"timeNano":1000000000}');
    // The empty message docker validates a template against: a nil map reads as no value.
    assert.equal(renderOne('{{.Actor.Attributes.name}}', emptyEventRow()), '<no value>');
    assert.throws(() => renderOne('{{.Foo}}', emptyEventRow()), /can't evaluate field Foo in type \*events\.Message/);
  });
});

describe('--since and --until (GetTimestamp)', () => {
  const now = new Date('2024-05-01T12:00:00.750Z');
  it('turns durations into whole Unix seconds before now', () => {
    assert.equal(getTimestamp('10m', now), String(1714564800 - 600));
    assert.equal(getTimestamp('1h30m', now), String(1714564800 - 5400));
    assert.equal(getTimestamp('0s', now), '1714564800');
    assert.equal(getTimestamp('-1m', now), '1714564860');
  });
  it('turns RFC 3339 times and dates into seconds.nanoseconds', () => {
    assert.equal(getTimestamp('2024-05-01T12:00:00Z', now), '1714564800.000000000');
    assert.equal(getTimestamp('2024-05-01T12:00:00.5Z', now), '1714564800.500000000');
    assert.equal(getTimestamp('2024-05-01T14:00:00+02:00', now), '1714564800.000000000');
    assert.equal(getTimestamp('2024-05-01T12:00Z', now), '1714564800.000000000');
    assert.equal(getTimestamp('2024-05-01Z', now), '1714521600.000000000');
  });
  it('passes Unix timestamps through', () => {
    assert.equal(getTimestamp('1714564800', now), '1714564800');
    assert.equal(getTimestamp('1714564800.123', now), '1714564800.123');
    assert.equal(getTimestamp('0', now), '0');
  });
  it('fails with Go’s words', () => {
    assert.throws(() => getTimestamp('soon', now), { message: 'failed to parse value as time or duration: "soon"' });
    assert.throws(() => getTimestamp('2024-13-01', now), { message: 'parsing time "2024-13-01": month out of range' });
    assert.throws(() => getTimestamp('2024-02-30', now), { message: 'parsing time "2024-02-30": day out of range' });
    assert.throws(() => getTimestamp('2024-1-01', now), { message: 'parsing time "2024-1-01" as "2006-01-02": cannot parse "1-01" as "01"' });
    assert.throws(() => getTimestamp('2024-01-01x', now), { message: 'parsing time "2024-01-01x": extra text: "x"' });
    assert.throws(() => getTimestamp('2024-01-01T10:00:00z', now), { message: 'parsing time "2024-01-01T10:00:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"' });
  });
});

const usage: DiskUsage = {
  LayersSize: 10_000_000,
  Images: [
    { Id: 'sha256:' + 'a'.repeat(64), RepoTags: ['busybox:latest'], RepoDigests: [], Created: 1714564800 - 86400 * 3, Size: 4_000_000, SharedSize: 1_000_000, Containers: 2 },
    { Id: 'sha256:' + 'b'.repeat(64), RepoTags: [], RepoDigests: [], Created: 1714564800 - 60, Size: 3_000_000, SharedSize: -1, Containers: 1 },
    { Id: 'sha256:' + 'c'.repeat(64), RepoTags: ['docker.io/library/alpine:3'], RepoDigests: [], Created: 1714564800 - 7200, Size: 3_000_000, SharedSize: 0, Containers: 0 },
  ],
  Containers: [
    { Id: 'd'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: '', Command: 'sleep 100', Created: 1714564800 - 120, Ports: [], Labels: {}, State: 'running', Status: 'Up 2 minutes', SizeRw: 1000, SizeRootFs: 5000 },
    { Id: 'e'.repeat(64), Names: ['/old'], Image: 'busybox', ImageID: '', Command: 'true', Created: 1714564800 - 60, Ports: [], Labels: {}, State: 'exited', Status: 'Exited (0) 1 minute ago', SizeRw: 2500 },
    { Id: 'f'.repeat(64), Names: ['/p'], Image: 'busybox', ImageID: '', Command: 'sh', Created: 1714564800 - 60, Ports: [], Labels: {}, State: 'paused', Status: 'Up 1 minute (Paused)', SizeRw: 0 },
    { Id: '1'.repeat(64), Names: ['/c'], Image: 'busybox', ImageID: '', Command: 'sh', Created: 1714564800 - 60, Ports: [], Labels: {}, State: 'created', Status: 'Created', SizeRw: 500 },
  ],
  Volumes: [
    { Name: 'v1', UsageData: { Size: 4096, RefCount: 1 } },
    { Name: 'v2', UsageData: { Size: 1000, RefCount: 0 } },
    { Name: 'v3', UsageData: { Size: -1, RefCount: 0 } },
  ],
  BuildCache: [
    { ID: 'c1', Type: 'regular', InUse: true, Shared: false, Size: 2000, CreatedAt: '2024-05-01T11:00:00Z', LastUsedAt: '2024-05-01T11:30:00Z', UsageCount: 3 },
    { ID: 'c2', Type: 'regular', InUse: false, Shared: true, Size: 5000, CreatedAt: '2024-05-01T11:00:00Z', LastUsedAt: null, UsageCount: 1 },
    { ID: 'c3', Type: 'source.local', InUse: false, Shared: false, Size: 3000, CreatedAt: '2024-05-01T10:00:00Z', LastUsedAt: '2024-05-01T10:30:00Z', UsageCount: 1 },
  ],
};
const dfNow = new Date('2024-05-01T12:00:00Z');

describe('system df', () => {
  it('computes the summary as docker does: active counts, sizes and reclaimable percentages (integer division)', () => {
    assert.equal(
      formatDiskUsage(usage, { format: '', verbose: false, now: dfNow }),
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n' +
        'Images          3         2         10MB      7MB (70%)\n' +
        'Containers      4         2         4kB       3kB (75%)\n' +
        'Local Volumes   3         1         5.096kB   1kB (19%)\n' +
        'Build Cache     3         1         5kB       3kB\n',
    );
  });

  it('shows no percentage for an empty total, 100% when nothing is used', () => {
    assert.equal(reclaimableText(0, 0), '0B');
    assert.equal(reclaimableText(1_982_000, 1_982_000), '1.982MB (100%)');
    assert.equal(reclaimableText(999, 1000), '999B (99%)');
    const empty = diskUsageSummaryRows({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] });
    assert.deepEqual(
      empty.map((r) => renderOne('{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}', r)),
      ['Images|0|0|0B|0B', 'Containers|0|0|0B|0B', 'Local Volumes|0|0|0B|0B', 'Build Cache|0|0|0B|0B'],
    );
  });

  it('prints json rows with docker’s keys (sorted) and templates per row', () => {
    const lines = formatDiskUsage(usage, { format: 'json', verbose: false, now: dfNow }).split('\n');
    assert.equal(lines[0], '{"Active":"2","Reclaimable":"7MB (70%)","Size":"10MB","TotalCount":"3","Type":"Images"}');
    assert.equal(formatDiskUsage(usage, { format: '{{.Type}}: {{.Reclaimable}}', verbose: false, now: dfNow }).split('\n')[1], 'Containers: 3kB (75%)');
  });

  it('-v lists images, containers, volumes and build cache in four tables', () => {
    const out = formatDiskUsage(usage, { format: '', verbose: true, now: dfNow, timeZone: 'UTC' });
    assert.equal(
      out,
      'Images space usage:\n\n' +
        'REPOSITORY   TAG       IMAGE ID       CREATED              SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n' +
        'busybox      latest    aaaaaaaaaaaa   3 days ago           4MB       1MB           3MB           2\n' +
        '<none>       <none>    bbbbbbbbbbbb   About a minute ago   3MB       N/A           N/A           1\n' +
        'alpine       3         cccccccccccc   2 hours ago          3MB       0B            3MB           0\n' +
        '\nContainers space usage:\n\n' +
        'CONTAINER ID   IMAGE     COMMAND       LOCAL VOLUMES   SIZE      CREATED              STATUS                    NAMES\n' +
        'dddddddddddd   busybox   "sleep 100"   0               1kB       2 minutes ago        Up 2 minutes              web\n' +
        'eeeeeeeeeeee   busybox   "true"        0               2.5kB     About a minute ago   Exited (0) 1 minute ago   old\n' +
        'ffffffffffff   busybox   "sh"          0               0B        About a minute ago   Up 1 minute (Paused)      p\n' +
        '111111111111   busybox   "sh"          0               500B      About a minute ago   Created                   c\n' +
        '\nLocal Volumes space usage:\n\n' +
        'VOLUME NAME   LINKS     SIZE\n' +
        'v1            1         4.096kB\n' +
        'v2            0         1kB\n' +
        'v3            0         -1B\n' +
        '\nBuild cache usage: 5kB\n\n' +
        'CACHE ID   CACHE TYPE     SIZE      CREATED             LAST USED        USAGE     SHARED\n' +
        'c3         source.local   3kB       2 hours ago         2 hours ago      1         false\n' +
        'c1*        regular        2kB       About an hour ago   30 minutes ago   3         false\n' +
        'c2         regular        5kB       About an hour ago                    1         true\n',
    );
  });

  it('-v with empty lists still prints every header', () => {
    const out = formatDiskUsage({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }, { format: '', verbose: true, now: dfNow });
    assert.equal(
      out,
      'Images space usage:\n\nREPOSITORY   TAG       IMAGE ID   CREATED   SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n' +
        '\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n' +
        '\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n' +
        '\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n',
    );
  });

  it('-v with a template runs it once over the four lists, full IDs, nothing appended', () => {
    assert.equal(formatDiskUsage(usage, { format: '{{range .Images}}{{.ID}} {{end}}', verbose: true, now: dfNow }), `sha256:${'a'.repeat(64)} sha256:${'b'.repeat(64)} sha256:${'c'.repeat(64)} `);
  });
});

describe('prune output', () => {
  it('words the system prune warning like docker, filters in natural order', () => {
    assert.equal(
      systemPruneWarning({ all: false, volumes: false, buildCache: true, filters: {} }),
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue?',
    );
    assert.equal(
      systemPruneWarning({ all: true, volumes: true, buildCache: true, filters: { label: ['a=b', 'a10', 'a9'], 'label!': ['c'], until: ['1h'], dangling: ['x'] } }),
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n' +
        '  - all images without at least one container associated to them\n  - all build cache\n\n' +
        '  Items to be pruned will be filtered with:\n  - label!=c\n  - label=a9\n  - label=a10\n  - label=a=b\n  - until=1h\n\nAre you sure you want to continue?',
    );
  });

  it('sorts naturally (sortorder.NaturalLess)', () => {
    const sorted = ['x10', 'x9', 'x09', 'x', 'x=1', 'a'].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    assert.deepEqual(sorted, ['a', 'x', 'x9', 'x09', 'x10', 'x=1']);
  });

  it('reports each deleted kind, a blank line after each, then the total', () => {
    const text = pruneSummary(
      [
        pruneSection('Deleted Containers:', ['c1', 'c2']),
        pruneSection('Deleted Networks:', []),
        imagesPrunedSection([{ Untagged: 'foo:1' }, { Deleted: 'sha256:abc' }]),
      ],
      1_234_567,
    );
    assert.equal(text, 'Deleted Containers:\nc1\nc2\n\nDeleted Images:\nuntagged: foo:1\ndeleted: sha256:abc\n\nTotal reclaimed space: 1.235MB\n');
    assert.equal(pruneSummary([pruneSection('Deleted Containers:', null)], 0), 'Total reclaimed space: 0B\n');
  });
});

describe('update restart policy', () => {
  it('checks only the form, the daemon judges the name', () => {
    assert.deepEqual(parseUpdateRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parseUpdateRestartPolicy('bogus'), { Name: 'bogus', MaximumRetryCount: 0 });
    assert.throws(() => parseUpdateRestartPolicy(':3'), { message: 'invalid restart policy format: no policy provided before colon' });
    assert.throws(() => parseUpdateRestartPolicy('always:x'), { message: 'invalid restart policy format: maximum retry count must be an integer' });
  });
});

// --- the commands against a fake daemon -----------------------------------------

interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}
let dir: string;
let socket: string;
let server: http.Server;
const calls: Call[] = [];
let networksMissing = false;

function reply(res: http.ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

before(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cli-system-'));
  socket = path.join(dir, 'fake.sock');
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const p = url.pathname.replace(/^\/v1\.45/, '');
    calls.push({ method: req.method ?? '', path: p, query: url.searchParams, body: text ? JSON.parse(text) : undefined });
    if (p === '/containers/prune') return reply(res, 200, { ContainersDeleted: ['c'.repeat(64)], SpaceReclaimed: 2048 });
    if (p === '/networks/prune') return networksMissing ? reply(res, 404, { message: 'page not found' }) : reply(res, 200, { NetworksDeleted: ['net1'] });
    if (p === '/images/prune') return reply(res, 200, { ImagesDeleted: [{ Untagged: 'x:1' }, { Deleted: 'sha256:' + 'd'.repeat(64) }], SpaceReclaimed: 1_000_000 });
    if (p === '/build/prune') return reply(res, 404, { message: 'page not found' });
    if (p === '/system/df') return reply(res, 200, usage);
    if (p === '/events') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(startLine + '\n');
      // Written by hand: JSON.stringify would round the nanoseconds.
      res.end('{"Type":"network","Action":"create","Actor":{"ID":"n1","Attributes":{"type":"bridge","name":"x"}},"scope":"local","time":1714564801,"timeNano":1714564801000000001}\n');
      return;
    }
    const upd = /^\/containers\/([^/]+)\/update$/.exec(p);
    if (upd) {
      if (upd[1] === 'missing') return reply(res, 404, { message: 'No such container: missing' });
      return reply(res, 200, { Warnings: upd[1] === 'warn' ? ['Your kernel does not support swap limit capabilities.'] : [] });
    }
    reply(res, 404, { message: 'page not found' });
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await fsp.rm(dir, { recursive: true, force: true });
});

async function berth(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const stdin = new PassThrough();
  stdin.end(input);
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(args, { streams: { out, err, in: stdin }, env: { BERTH_HOST: `unix://${socket}`, TZ: 'UTC' }, now: () => new Date('2024-05-01T12:00:00Z') });
  return { code, stdout, stderr };
}

describe('system commands against a fake daemon', () => {
  it('system prune -f prunes containers, networks, images, build cache and adds up the space', async () => {
    calls.length = 0;
    networksMissing = false;
    const r = await berth(['system', 'prune', '-f', '--filter', 'label=a=b']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      calls.map((c) => c.path),
      ['/containers/prune', '/networks/prune', '/images/prune', '/build/prune'],
    );
    assert.deepEqual(JSON.parse(calls[2].query.get('filters')!), { label: { 'a=b': true }, dangling: { true: true } });
    assert.equal(
      r.stdout,
      `Deleted Containers:\n${'c'.repeat(64)}\n\nDeleted Networks:\nnet1\n\nDeleted Images:\nuntagged: x:1\ndeleted: sha256:${'d'.repeat(64)}\n\nTotal reclaimed space: 1.002MB\n`,
    );
  });

  it('skips a daemon without network prune; -a prunes all unused images', async () => {
    calls.length = 0;
    networksMissing = true;
    const r = await berth(['system', 'prune', '-af']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('Deleted Networks'));
    assert.deepEqual(JSON.parse(calls[2].query.get('filters')!), { dangling: { false: true } });
    assert.equal(calls[3].query.get('all'), '1');
  });

  it('asks first: "n" ends quietly with status 0, "y" goes on', async () => {
    calls.length = 0;
    const no = await berth(['system', 'prune'], 'n\n');
    assert.equal(no.code, 0);
    assert.equal(no.stderr, '');
    assert.match(no.stdout, /^WARNING! This will remove:\n[\s\S]*\nAre you sure you want to continue\? \[y\/N\] $/);
    assert.equal(calls.length, 0);
    const yes = await berth(['system', 'prune'], 'y\n');
    assert.equal(yes.code, 0);
    assert.match(yes.stdout, /\[y\/N\] Deleted Containers:/);
    const cp = await berth(['container', 'prune'], '\n');
    assert.equal(cp.code, 0);
    assert.equal(cp.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
  });

  it('refuses the until filter with --volumes before asking', async () => {
    const r = await berth(['system', 'prune', '--volumes', '--filter', 'until=1h']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'ERROR: The "until" filter is not supported with "--volumes"\n');
  });

  it('container prune prints what went and the space', async () => {
    const r = await berth(['container', 'prune', '-f']);
    assert.equal(r.stdout, `Deleted Containers:\n${'c'.repeat(64)}\n\nTotal reclaimed space: 2.048kB\n`);
  });

  it('system df prints the summary table', async () => {
    const r = await berth(['system', 'df']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[1], 'Images          3         2         10MB      7MB (70%)');
  });

  it('events sends since/until as Unix times and prints each event line', async () => {
    calls.length = 0;
    const r = await berth(['events', '--since', '10m', '--until', '2024-05-01T12:00:05Z', '-f', 'type=container']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(calls[0].query.get('since'), String(1714564800 - 600));
    assert.equal(calls[0].query.get('until'), '1714564805.000000000');
    assert.deepEqual(JSON.parse(calls[0].query.get('filters')!), { type: { container: true } });
    assert.equal(
      r.stdout,
      `2024-05-01T12:00:00.123456789Z container start ${ID} (image=busybox, name=web)\n2024-05-01T12:00:01.000000001Z network create n1 (name=x, type=bridge)\n`,
    );
    const j = await berth(['system', 'events', '--format', '{{.Type}}/{{.Actor.Attributes.name}}']);
    assert.equal(j.stdout, 'container/web\nnetwork/x\n');
  });

  it('events refuses a bad template (64) and a bad time (1) before asking the daemon', async () => {
    calls.length = 0;
    const t = await berth(['events', '--format', '{{.Nope}}']);
    assert.equal(t.code, 64);
    assert.equal(t.stderr, 'Error parsing format: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *events.Message\n');
    const s = await berth(['events', '--since', 'yesterday']);
    assert.equal(s.code, 1);
    assert.equal(s.stderr, 'failed to parse value as time or duration: "yesterday"\n');
    assert.equal(calls.length, 0);
  });

  it('update sends the Go client’s body, prints each name, then warnings, then failures', async () => {
    calls.length = 0;
    const r = await berth(['update', '--cpus', '1.5', '-m', '64m', '--memory-swap', '-1', '--pids-limit', '20', '--restart', 'on-failure:2', 'web', 'missing', 'warn']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'web\nwarn\nYour kernel does not support swap limit capabilities.\n');
    assert.equal(r.stderr, 'Error response from daemon: No such container: missing\n');
    assert.deepEqual(calls.map((c) => c.path), ['/containers/web/update', '/containers/missing/update', '/containers/warn/update']);
    const b = calls[0].body;
    assert.equal(b.NanoCpus, 1_500_000_000);
    assert.equal(b.Memory, 64 * 1024 * 1024);
    assert.equal(b.MemorySwap, -1);
    assert.equal(b.PidsLimit, 20);
    assert.equal(b.CpuShares, 0);
    assert.deepEqual(b.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    calls.length = 0;
    await berth(['update', '--cpu-shares', '512', 'web']);
    assert.equal(calls[0].body.PidsLimit, null);
    assert.deepEqual(calls[0].body.RestartPolicy, { Name: '', MaximumRetryCount: 0 });
  });

  it('update needs a flag and checks values like docker', async () => {
    const none = await berth(['update', 'web']);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'you must provide one or more flags when using this command\n');
    const bad = await berth(['update', '--blkio-weight', '70000', 'web']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /^invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range\n\nUsage: {2}berth update \[OPTIONS\]/);
    const mem = await berth(['update', '-m', '1z', 'web']);
    assert.match(mem.stderr, /^invalid argument "1z" for "-m, --memory" flag: invalid suffix: 'z'\n/);
    const rp = await berth(['update', '--restart', 'always:x', 'web']);
    assert.equal(rp.code, 1);
    assert.equal(rp.stderr, 'invalid restart policy format: maximum retry count must be an integer\n');
  });
});
