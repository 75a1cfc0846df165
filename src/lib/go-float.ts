/**
 * Go's strconv.FormatFloat, exact: Go rounds the exact binary value half-to-even,
 * which Number#toFixed/toExponential do not (0.125 -> "0.12" in Go). Its own module so
 * that go-units' size formatting (lib/human) does not load the template engine.
 */

interface Decimal {
  d: string; // significant digits, no leading or trailing zeros; '' is zero
  dp: number; // value = 0.d * 10^dp
}

function trimZeros(dec: Decimal): Decimal {
  let d = dec.d.replace(/0+$/, '');
  let dp = dec.dp;
  const lead = d.length - d.replace(/^0+/, '').length;
  d = d.slice(lead);
  dp -= lead;
  return d === '' ? { d: '', dp: 0 } : { d, dp };
}

function exactDecimal(x: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) {
    const s = (mant << BigInt(e)).toString();
    return trimZeros({ d: s, dp: s.length });
  }
  const s = (mant * 5n ** BigInt(-e)).toString();
  return trimZeros({ d: s, dp: s.length + e });
}

function shortestDecimal(x: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (!m) throw new Error(`unexpected float form ${x}`);
  return trimZeros({ d: m[1] + (m[2] ?? ''), dp: Number(m[3]) + 1 });
}

/** Rounds to nd significant digits, half to even on exact ties (Go's decimal.Round). */
function roundDecimal(dec: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= dec.d.length) return dec;
  const next = dec.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next === 5 && nd + 1 === dec.d.length) up = nd > 0 && (dec.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  else up = next >= 5;
  if (!up) return trimZeros({ d: dec.d.slice(0, nd), dp: dec.dp });
  const digits = dec.d.slice(0, nd).split('').map(Number);
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === 9) i--;
  if (i < 0) return { d: '1', dp: dec.dp + 1 };
  digits[i]++;
  return trimZeros({ d: digits.slice(0, i + 1).join(''), dp: dec.dp });
}

function fmtE(dec: Decimal, prec: number, e: string): string {
  let s = dec.d.length ? dec.d[0] : '0';
  if (prec > 0) {
    s += '.';
    const frac = dec.d.slice(1, prec + 1);
    s += frac + '0'.repeat(prec - frac.length);
  }
  let exp = dec.d.length === 0 ? 0 : dec.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${s}${e}${sign}${exp < 10 ? '0' : ''}${exp}`;
}

function fmtF(dec: Decimal, prec: number): string {
  let s: string;
  if (dec.dp > 0) {
    s = dec.d.slice(0, dec.dp);
    s += '0'.repeat(dec.dp - s.length);
  } else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = dec.dp + i - 1;
      s += j >= 0 && j < dec.d.length ? dec.d[j] : '0';
    }
  }
  return s;
}

/** strconv.FormatFloat(x, fmt, prec, 64); prec < 0 means shortest. */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec = -1): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let dec: Decimal;
  const lower = fmt.toLowerCase();
  if (shortest) {
    dec = shortestDecimal(abs);
    if (lower === 'e') prec = Math.max(dec.d.length - 1, 0);
    else if (lower === 'f') prec = Math.max(dec.d.length - dec.dp, 0);
    else prec = dec.d.length;
  } else {
    dec = exactDecimal(abs);
    if (lower === 'e') dec = roundDecimal(dec, prec + 1);
    else if (lower === 'f') dec = roundDecimal(dec, dec.dp + prec);
    else {
      if (prec === 0) prec = 1;
      dec = roundDecimal(dec, prec);
    }
  }
  const sign = neg ? '-' : '';
  const e = fmt === 'E' || fmt === 'G' ? 'E' : 'e';
  if (lower === 'e') return sign + fmtE(dec, prec, e);
  if (lower === 'f') return sign + fmtF(dec, prec);
  let eprec = prec;
  if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
  if (shortest) eprec = 6;
  const exp = dec.dp - 1;
  if (dec.d.length !== 0 && (exp < -4 || exp >= eprec)) {
    if (prec > dec.d.length) prec = dec.d.length;
    return sign + fmtE(dec, prec - 1, e);
  }
  if (prec > dec.dp) prec = dec.d.length;
  return sign + fmtF(dec, Math.max(prec - dec.dp, 0));
}
