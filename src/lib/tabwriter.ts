/**
 * Go's text/tabwriter (elastic tabstops), as the Docker CLI uses it for tables:
 * `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
 *
 * Semantics kept from Go: a cell is text terminated by a tab; the text after a line's
 * last tab is not part of any column and is never padded; a column's width is the
 * widest cell (plus padding) over a contiguous block of lines that have that column,
 * and at least minWidth; a line ending in a tab gets padding after its last cell.
 */

export interface TabWriterOptions {
  /** Minimal cell width including padding (Docker: 10). */
  minWidth?: number;
  /** Width of a tab when padChar is '\t' (Docker: 1). */
  tabWidth?: number;
  /** Added to the text width before comparing with minWidth (Docker: 3). */
  padding?: number;
  /** Docker: ' '. With '\t', cells are padded with tabs and always left-aligned. */
  padChar?: string;
  alignRight?: boolean;
  /** Drop columns made only of empty, vertical-tab ('\v') terminated cells. */
  discardEmptyColumns?: boolean;
  /** Pad leading empty cells with tabs whatever padChar is. */
  tabIndent?: boolean;
  /** Print '|' between columns. */
  debug?: boolean;
  /**
   * 'runes' counts code points, as Go's text/tabwriter does. 'display' approximates
   * terminal cells (East Asian wide = 2, combining = 0), as Docker's vendored fork
   * (go-runewidth) does.
   */
  width?: 'runes' | 'display';
}

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x2614, 0x2615],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function runeWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (/[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufeff]/u.test(ch)) return 0;
  for (const [lo, hi] of WIDE_RANGES) if (cp >= lo && cp <= hi) return 2;
  return 1;
}

/** Display width in terminal cells (an approximation of go-runewidth's StringWidth). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += runeWidth(ch);
  return w;
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export class TabWriter {
  private readonly minWidth: number;
  private readonly tabWidth: number;
  private readonly padding: number;
  private readonly padChar: string;
  private readonly alignRight: boolean;
  private readonly discardEmpty: boolean;
  private readonly tabIndent: boolean;
  private readonly debug: boolean;
  private readonly measure: (s: string) => number;

  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private out = '';

  constructor(opts: TabWriterOptions = {}) {
    this.minWidth = opts.minWidth ?? 10;
    this.tabWidth = opts.tabWidth ?? 1;
    this.padding = opts.padding ?? 3;
    this.padChar = opts.padChar ?? ' ';
    if (this.minWidth < 0 || this.tabWidth < 0 || this.padding < 0) {
      throw new RangeError('negative minwidth, tabwidth, or padding');
    }
    this.alignRight = (opts.alignRight ?? false) && this.padChar !== '\t';
    this.discardEmpty = opts.discardEmptyColumns ?? false;
    this.tabIndent = opts.tabIndent ?? false;
    this.debug = opts.debug ?? false;
    this.measure = opts.width === 'display' ? displayWidth : runeCount;
  }

  /**
   * Writes a line (cells separated by '\t'), adding the newline if `text` lacks one.
   * Text that already ends in '\n' may hold several lines; '' writes nothing, as in Go.
   */
  write(text: string): this {
    if (text === '') return this;
    return this.writeRaw(text.endsWith('\n') ? text : text + '\n');
  }

  /** Go's Writer.Write: arbitrary text; '\t' and '\v' end cells, '\n' and '\f' end lines. */
  writeRaw(text: string): this {
    for (const ch of text) {
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') {
        this.cell += ch;
        continue;
      }
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A one-cell line cannot affect later columns, so Go flushes there; '\f' always flushes.
        if (ch === '\f' || ncells === 1) this.flushInternal();
        if (ch === '\f' && this.debug) this.out += '---\n';
      }
    }
    return this;
  }

  /** Formats everything buffered and returns all output produced since the last flush. */
  flush(): string {
    this.flushInternal();
    const out = this.out;
    this.out = '';
    return out;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1];
    line.push({ text: this.cell, width: this.measure(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushInternal(): void {
    if (this.cell.length > 0) this.terminateCell(false);
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.padChar === '\t' || useTabs) {
      if (this.tabWidth === 0) return;
      cellw = Math.ceil(cellw / this.tabWidth) * this.tabWidth;
      const n = cellw - textw;
      this.out += '\t'.repeat(Math.ceil(n / this.tabWidth));
      return;
    }
    this.out += this.padChar.repeat(Math.max(cellw - textw, 0));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i];
      let useTabs = this.tabIndent;
      line.forEach((c, j) => {
        if (j > 0 && this.debug) this.out += '|';
        if (c.text.length === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], useTabs);
          return;
        }
        useTabs = false;
        if (!this.alignRight) {
          this.out += c.text;
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
        } else {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
          this.out += c.text;
        }
      });
      // The last buffered line has no newline of its own.
      if (i + 1 < this.lines.length) this.out += '\n';
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lines[cur].length - 1) continue;
      // This line has a cell in `column`: print the lines above, then size the block.
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.minWidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = this.lines[cur];
        if (column >= line.length - 1) break;
        const c = line[column];
        width = Math.max(width, c.width + this.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.discardEmpty) width = 0;
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
    }
    this.writeLines(line0, line1);
  }
}

/** Formats rows of cells with Docker's table settings; every line ends with '\n'. */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string>>, opts?: TabWriterOptions): string {
  const w = new TabWriter(opts);
  for (const r of rows) w.write(r.join('\t'));
  return w.flush();
}
