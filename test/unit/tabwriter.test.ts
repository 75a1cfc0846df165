import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { TabWriter, displayWidth, formatTable, type TabWriterOptions } from '../../src/lib/tabwriter.js';

function run(opts: TabWriterOptions, src: string): string {
  return new TabWriter(opts).writeRaw(src).flush();
}

/** Also feeds the text one character at a time: output must not depend on chunking. */
function check(opts: TabWriterOptions, src: string, expected: string): void {
  assert.equal(run(opts, src), expected);
  const w = new TabWriter(opts);
  for (const ch of src) w.writeRaw(ch);
  assert.equal(w.flush(), expected);
}

describe('TabWriter with docker table settings', () => {
  it('pads a header alone to max(minwidth 10, width + 3)', () => {
    const w = new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3, padChar: ' ' });
    w.write('CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES');
    assert.equal(w.flush(), 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
  });

  it('defaults to docker settings', () => {
    assert.equal(formatTable([['A', 'B']]), 'A         B\n');
  });

  it('lays out a docker ps table exactly (verified against the docker CLI)', () => {
    const out = formatTable([
      ['CONTAINER ID', 'IMAGE', 'NAMES', 'STATUS'],
      ['0123456789ab', 'nginx:latest', 'nifty_wozniak', 'Up 2 minutes'],
      ['fedcba987654', 'a-very-long-image-name/with/path:tag', 'busy_bell', 'Exited (0) 3 days ago'],
      ['111111111111', '<no image>', 'x', 'Created'],
    ]);
    assert.equal(
      out,
      'CONTAINER ID   IMAGE                                  NAMES           STATUS\n' +
        '0123456789ab   nginx:latest                           nifty_wozniak   Up 2 minutes\n' +
        'fedcba987654   a-very-long-image-name/with/path:tag   busy_bell       Exited (0) 3 days ago\n' +
        '111111111111   <no image>                             x               Created\n',
    );
  });

  it('keeps empty cells aligned and pads after a trailing tab', () => {
    const w = new TabWriter();
    w.write('CONTAINER ID\tPORTS\tNAMES\t\n0123456789ab\t\tnifty_wozniak\t\n');
    assert.equal(
      w.flush(),
      'CONTAINER ID   PORTS     NAMES           \n' + '0123456789ab             nifty_wozniak   \n',
    );
  });

  it('accepts several lines in one write and ignores an empty write', () => {
    const w = new TabWriter();
    w.write('NAME\tSIZE\n');
    w.write('');
    w.write('a\t1\nbb\t22\n');
    assert.equal(w.flush(), 'NAME      SIZE\na         1\nbb        22\n');
  });

  it('adds the newline to a line written without one', () => {
    const w = new TabWriter();
    w.write('a\tb');
    w.write('c\td');
    assert.equal(w.flush(), 'a         b\nc         d\n');
  });

  it('does not pad the text after the last tab, however long', () => {
    assert.equal(formatTable([['ID', 'a very long last column'], ['1', 'x']]), 'ID        a very long last column\n1         x\n');
  });

  it('sizes columns per contiguous block of lines', () => {
    // The second line has no tab, so the first and third lines form separate blocks.
    check({}, 'aaaaaaaaaaaaaa\tb\nno tabs here\nc\td\n', 'aaaaaaaaaaaaaa   b\nno tabs here\nc         d\n');
  });

  it('measures runes by default and display cells on request', () => {
    const src = 'NAMES\tSTATUS\n日本語の名前\tExited\nnifty_wozniak\tUp\n';
    assert.equal(run({}, src), 'NAMES           STATUS\n日本語の名前          Exited\nnifty_wozniak   Up\n');
    // Docker's vendored tabwriter uses go-runewidth: CJK characters take two cells.
    assert.equal(run({ width: 'display' }, src), 'NAMES           STATUS\n日本語の名前    Exited\nnifty_wozniak   Up\n');
    assert.equal(displayWidth('日本語'), 6);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(displayWidth('abc'), 3);
  });

  it('starts fresh after flush', () => {
    const w = new TabWriter();
    w.write('a-long-cell-here\tx');
    assert.equal(w.flush(), 'a-long-cell-here   x\n');
    w.write('a\tx');
    assert.equal(w.flush(), 'a         x\n');
  });

  it('rejects negative settings like Go', () => {
    assert.throws(() => new TabWriter({ padding: -1 }), RangeError);
  });
});

// Test vectors from Go's text/tabwriter tests (src/text/tabwriter/tabwriter_test.go).
describe('TabWriter matches Go text/tabwriter', () => {
  const cases: Array<[string, TabWriterOptions, string, string]> = [
    ['1a', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, '', ''],
    ['2', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, '\n\n\n', '\n\n\n'],
    ['3', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, 'a\nb\nc', 'a\nb\nc'],
    ['4a', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, '\t', ''],
    ['4b', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.', alignRight: true }, '\t', ''],
    ['5', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, '*\t*', '*.......*'],
    ['5b', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, '*\t*\n', '*.......*\n'],
    ['5c', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, '*\t*\t', '*.......*'],
    ['5c debug', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.', debug: true }, '*\t*\t', '*.......|*'],
    ['5d', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.', alignRight: true }, '*\t*\t', '.......**'],
    ['6', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, '\t\n', '........\n'],
    ['7a', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, 'a) foo', 'a) foo'],
    ['7b', { minWidth: 8, tabWidth: 0, padding: 1, padChar: ' ' }, 'b) foo\tbar', 'b) foo  bar'],
    ['7c', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, 'c) foo\tbar\t', 'c) foo..bar'],
    ['7d', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, 'd) foo\tbar\n', 'd) foo..bar\n'],
    ['7e', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' }, 'e) foo\tbar\t\n', 'e) foo..bar.....\n'],
    ['8', { minWidth: 8, tabWidth: 0, padding: 1, padChar: '*' }, 'Hello, world!\n', 'Hello, world!\n'],
    [
      '9a',
      { minWidth: 1, tabWidth: 0, padding: 0, padChar: '.' },
      '1\t2\t3\t4\n11\t222\t3333\t44444\n',
      '1.2..3...4\n11222333344444\n',
    ],
    [
      '9c',
      { minWidth: 1, tabWidth: 0, padding: 0, padChar: '.' },
      '1\t2\t3\t4\f11\t222\t3333\t44444\n',
      '1234\n11222333344444\n',
    ],
    [
      '9c debug',
      { minWidth: 1, tabWidth: 0, padding: 0, padChar: '.', debug: true },
      '1\t2\t3\t4\f11\t222\t3333\t44444\n',
      '1|2|3|4\n---\n11|222|3333|44444\n',
    ],
    ['10a', { minWidth: 5, tabWidth: 0, padding: 0, padChar: '.' }, '1\t2\t3\t4\n', '1....2....3....4\n'],
    ['10b', { minWidth: 5, tabWidth: 0, padding: 0, padChar: '.' }, '1\t2\t3\t4\t\n', '1....2....3....4....\n'],
    [
      '11',
      { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' },
      '本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n',
      '本.......b.......c\naa......本本本.....cccc....ddddd\naaa.....bbbb\n',
    ],
    [
      '12a',
      { minWidth: 8, tabWidth: 0, padding: 1, padChar: ' ', alignRight: true },
      'a\tè\tc\t\naa\tèèè\tcccc\tddddd\t\naaa\tèèèè\t\n',
      '       a       è       c\n      aa     èèè    cccc   ddddd\n     aaa    èèèè\n',
    ],
    [
      '12b',
      { minWidth: 2, tabWidth: 0, padding: 0, padChar: ' ' },
      'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n',
      'a  b  c\naa bbbcccc\naaabbbb\n',
    ],
    [
      '13a',
      { minWidth: 4, tabWidth: 0, padding: 1, padChar: '-' },
      '4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
      '4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n' +
        '666666-666666-666666----4444\n1------1------999999999-0000000000\n',
    ],
    [
      '13b',
      { minWidth: 4, tabWidth: 0, padding: 3, padChar: '.' },
      '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
      '4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n' +
        '666666...666666...666666......4444\n1........1........999999999...0000000000\n',
    ],
    [
      '14 debug',
      { minWidth: 1, tabWidth: 0, padding: 2, padChar: ' ', alignRight: true, debug: true },
      '.0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n' +
        '.0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t',
      '    .0|          .3|    2.4|    -5.1|\n  23.0|  12345678.9|    2.4|  -989.4|\n   5.1|        12.0|    2.4|    -7.0|\n' +
        '    .0|         0.0|  332.0|  8908.0|\n    .0|         -.3|  456.4|    22.1|\n    .0|         1.2|   44.4|   -13.3|',
    ],
    ['15a', { minWidth: 4, tabWidth: 0, padding: 0, padChar: '.' }, 'a\t\tb', 'a.......b'],
    ['15b', { minWidth: 4, tabWidth: 0, padding: 0, padChar: '.', discardEmptyColumns: true }, 'a\t\tb', 'a.......b'],
    ['15c', { minWidth: 4, tabWidth: 0, padding: 0, padChar: '.', discardEmptyColumns: true }, 'a\v\vb', 'a...b'],
    [
      '15d',
      { minWidth: 4, tabWidth: 0, padding: 0, padChar: '.', alignRight: true, discardEmptyColumns: true },
      'a\v\vb',
      '...ab',
    ],
    [
      '16a',
      { minWidth: 100, tabWidth: 100, padding: 0, padChar: '\t' },
      'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
      'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
    ],
    [
      '16b debug',
      { minWidth: 100, tabWidth: 100, padding: 0, padChar: '\t', discardEmptyColumns: true, debug: true },
      'a\vb\v\vd\na\vb\v\vd\ve\na\na\vb\vc\vd\na\vb\vc\vd\ve\n',
      'a\t|b\t||d\na\t|b\t||d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n',
    ],
  ];
  for (const [name, opts, src, expected] of cases) {
    it(`case ${name}`, () => check(opts, src, expected));
  }

  it('reproduces ExampleWriter_Init', () => {
    const src = 'a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n';
    assert.equal(
      run({ minWidth: 0, tabWidth: 8, padding: 0, padChar: '\t' }, src),
      'a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n\n',
    );
    assert.equal(
      run({ minWidth: 5, tabWidth: 0, padding: 1, padChar: ' ', alignRight: true }, src),
      '    a     b       c         d.\n  123 12345 1234567 123456789.\n\n',
    );
  });
});
