import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ContainerSummary, ImageHistoryItem, ImageSummary } from '../../src/client/types.js';
import { containerFormat, displayablePorts, familiarImage, formatContainers } from '../../src/cli/format/container-format.js';
import { formatHistory, formatImages, historyFormat, imageFormat } from '../../src/cli/format/image-format.js';
import { ellipsis, goTimeString, parseDuration, truncateId } from '../../src/cli/values.js';

const now = new Date('2024-05-01T12:00:00Z');
const at = (secondsAgo: number): number => Math.floor(now.getTime() / 1000) - secondsAgo;
const hex = (prefix: string): string => prefix + 'f'.repeat(64 - prefix.length);

const containers: ContainerSummary[] = [
  {
    Id: hex('a1b2c3d4e5f6'),
    Names: ['/web'],
    Image: 'busybox',
    ImageID: 'sha256:' + hex('0123'),
    Command: "sh -c 'while true; do sleep 1; done'",
    Created: at(120),
    Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8088, Type: 'tcp' }],
    Labels: { 'com.example.team': 'blue', a: '1' },
    State: 'running',
    Status: 'Up 2 minutes',
  },
  {
    Id: hex('0badc0ffee00'),
    Names: ['/quirky_turing'],
    Image: 'docker.io/library/busybox:latest',
    ImageID: 'sha256:' + hex('0123'),
    Command: 'echo hi',
    Created: at(3 * 24 * 3600),
    Ports: [],
    Labels: {},
    State: 'exited',
    Status: 'Exited (0) 14 seconds ago',
  },
];

describe('ps table', () => {
  it('renders the default table exactly like docker', () => {
    const text = formatContainers(containers, { format: containerFormat('', false, false), trunc: true, now });
    assert.equal(
      text,
      'CONTAINER ID   IMAGE            COMMAND                  CREATED         STATUS                      PORTS                  NAMES\n' +
        `a1b2c3d4e5f6   busybox          "sh -c 'while true; …"   2 minutes ago   Up 2 minutes                0.0.0.0:8088->80/tcp   web\n` +
        '0badc0ffee00   busybox:latest   "echo hi"                3 days ago      Exited (0) 14 seconds ago                          quirky_turing\n',
    );
  });

  it('prints only IDs for -q, full ones with --no-trunc', () => {
    assert.equal(formatContainers(containers, { format: containerFormat('', true, false), trunc: true, now }), 'a1b2c3d4e5f6\n0badc0ffee00\n');
    assert.equal(formatContainers(containers.slice(0, 1), { format: containerFormat('', true, false), trunc: false, now }), `${hex('a1b2c3d4e5f6')}\n`);
  });

  it('prints the header even with no containers', () => {
    assert.equal(
      formatContainers([], { format: containerFormat('', false, false), trunc: true, now }),
      'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
    );
  });

  it('runs custom templates, table templates and .Label', () => {
    assert.equal(formatContainers(containers, { format: '{{.Names}}: {{.State}}', trunc: true, now }), 'web: running\nquirky_turing: exited\n');
    assert.equal(
      formatContainers(containers, { format: 'table {{.Names}}\\t{{.Label "com.example.team"}}', trunc: true, now }),
      'NAMES           LABEL\nweb             blue\nquirky_turing   \n',
    );
    assert.equal(formatContainers(containers.slice(0, 1), { format: '{{.Labels}}', trunc: true, now }), 'a=1,com.example.team=blue\n');
  });

  it('prints {{json .}} with docker’s keys', () => {
    const line = formatContainers(containers.slice(1), { format: containerFormat('json', false, false), trunc: true, now, timeZone: 'UTC' });
    const obj = JSON.parse(line);
    assert.deepEqual(Object.keys(obj), ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
    assert.equal(obj.Command, '"echo hi"');
    assert.equal(obj.CreatedAt, '2024-04-28 12:00:00 +0000 UTC');
    assert.equal(obj.RunningFor, '3 days ago');
  });

  it('reports an unknown field as docker does', () => {
    assert.throws(() => formatContainers(containers, { format: '{{.Nope}}', trunc: true, now }), /can't evaluate field Nope/);
  });

  it('groups ports like docker', () => {
    assert.equal(
      displayablePorts([
        { PrivatePort: 9990, Type: 'tcp' },
        { PrivatePort: 9988, Type: 'tcp' },
        { PrivatePort: 9989, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8088, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 53, PublicPort: 53, Type: 'udp' },
        { IP: '0.0.0.0', PrivatePort: 54, PublicPort: 54, Type: 'udp' },
        { IP: '::', PrivatePort: 80, PublicPort: 8088, Type: 'tcp' },
      ]),
      '0.0.0.0:53-54->53-54/udp, 9988-9990/tcp, 0.0.0.0:8088->80/tcp, [::]:8088->80/tcp',
    );
    assert.equal(displayablePorts([]), '');
  });

  it('shows images the familiar way', () => {
    assert.equal(familiarImage('docker.io/library/busybox:latest', '', true), 'busybox:latest');
    assert.equal(familiarImage('docker.io/me/app:1', '', true), 'me/app:1');
    assert.equal(familiarImage('sha256:' + hex('0123'), 'sha256:' + hex('0123'), true), '0123ffffffff');
    assert.equal(familiarImage('', '', true), '<no image>');
  });
});

const images: ImageSummary[] = [
  { Id: 'sha256:' + hex('abcdef012345'), RepoTags: ['busybox:latest', 'docker.io/library/busybox:1.36'], RepoDigests: [], Created: at(10 * 24 * 3600), Size: 4_261_376 },
  { Id: 'sha256:' + hex('0123456789ab'), RepoTags: [], RepoDigests: [], Created: at(2 * 3600), Size: 1234 },
  { Id: 'sha256:' + hex('999999999999'), RepoTags: ['registry.local:5000/team/app:v2'], RepoDigests: null, Created: 0, Size: 12_345_678 },
];

describe('images table', () => {
  it('renders the classic table exactly like docker', () => {
    assert.equal(
      formatImages(images, { format: imageFormat('table', false, false), trunc: true, digest: false, now }),
      'REPOSITORY                     TAG       IMAGE ID       CREATED       SIZE\n' +
        'busybox                        latest    abcdef012345   10 days ago   4.26MB\n' +
        'busybox                        1.36      abcdef012345   10 days ago   4.26MB\n' +
        '<none>                         <none>    0123456789ab   2 hours ago   1.23kB\n' +
        'registry.local:5000/team/app   v2        999999999999   N/A           12.3MB\n',
    );
  });

  it('prints IDs for -q', () => {
    assert.equal(formatImages(images.slice(1), { format: imageFormat('table', true, false), trunc: true, digest: false, now }), '0123456789ab\n999999999999\n');
  });

  it('adds a DIGEST column with --digests', () => {
    const img: ImageSummary = { Id: 'sha256:' + hex('abc'), RepoTags: ['busybox:latest'], RepoDigests: ['busybox@sha256:' + hex('d1')], Created: at(60), Size: 0 };
    const text = formatImages([img], { format: imageFormat('table', false, true), trunc: true, digest: true, now });
    assert.equal(
      text,
      'REPOSITORY   TAG       DIGEST                                                                    IMAGE ID       CREATED              SIZE\n' +
        `busybox      latest    sha256:${hex('d1')}   abcfffffffff   About a minute ago   0B\n`,
    );
  });
});

describe('history table', () => {
  const items: ImageHistoryItem[] = [
    { Id: 'sha256:' + hex('abcdef012345'), Created: at(10 * 24 * 3600), CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: ['busybox:latest'], Size: 0, Comment: '' },
    { Id: '<missing>', Created: at(10 * 24 * 3600), CreatedBy: '/bin/sh -c #(nop) ADD file:1234567890abcdef1234567890 in / ', Tags: null, Size: 4_261_376, Comment: 'imported' },
  ];
  it('renders like docker history', () => {
    assert.equal(
      formatHistory(items, { format: historyFormat('', false, true), trunc: true, human: true, now }),
      'IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT\n' +
        'abcdef012345   10 days ago   /bin/sh -c #(nop)  CMD ["sh"]                   0B        \n' +
        '<missing>      10 days ago   /bin/sh -c #(nop) ADD file:1234567890abcdef1…   4.26MB    imported\n',
    );
  });
  it('prints raw sizes and RFC 3339 dates with -H=false', () => {
    const text = formatHistory(items.slice(1), { format: historyFormat('', false, false), trunc: true, human: false, now, timeZone: 'UTC' });
    assert.match(text, /^IMAGE {7}CREATED AT {13}CREATED BY/);
    assert.match(text, /<missing> {3}2024-04-21T12:00:00Z {3}.* {3}4261376 {3}imported\n$/);
  });
});

describe('value helpers', () => {
  it('truncates with an ellipsis to a display width', () => {
    assert.equal(ellipsis('abcdefghijklmnopqrstuvwxyz', 20), 'abcdefghijklmnopqrs…');
    assert.equal(ellipsis('short', 20), 'short');
    assert.equal(ellipsis('你好世界你好世界你好世界', 7), '你好世…');
  });
  it('truncates IDs', () => {
    assert.equal(truncateId('sha256:' + hex('12')), '12ffffffffff');
    assert.equal(truncateId('<missing>'), '<missing>');
  });
  it('formats times like Go', () => {
    assert.equal(goTimeString(1704164645, 'UTC'), '2024-01-02 03:04:05 +0000 UTC');
    assert.equal(goTimeString(1704164645, 'America/New_York'), '2024-01-01 22:04:05 -0500 EST');
  });
  it('parses Go durations', () => {
    assert.equal(parseDuration('1m30s'), 90e9);
    assert.equal(parseDuration('500ms'), 5e8);
    assert.equal(parseDuration('1.5h'), 5400e9);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('10'), undefined);
    assert.equal(parseDuration('x'), undefined);
  });
});
