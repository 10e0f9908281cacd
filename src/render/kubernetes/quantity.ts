/**
 * Kubernetes resource quantities in the canonical form the API server stores and reports
 * (k8s.io/apimachinery `resource.Quantity`): `0.1` -> `100m`, `1.5Gi` -> `1536Mi`, `2000m` -> `2`,
 * `1e3` -> `1e3`, `1000` -> `1k`. A committed file then matches what the cluster shows, so GitOps
 * tools see no diff that is not a change. Exact (BigInt) arithmetic; pure.
 */

const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE][-+]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E))?$/;
const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIX).map(([k, v]) => [v, k]));
const BINARY_SUFFIX: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** value = unscaled * 10^-scale */
interface Dec {
  unscaled: bigint;
  scale: number;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Round up (away from zero for positives, as the API server does) to nano precision. */
function roundUpToNano(d: Dec): Dec {
  if (d.scale <= 9) return d;
  const div = pow10(d.scale - 9);
  let q = d.unscaled / div;
  if (d.unscaled % div !== 0n && d.unscaled > 0n) q += 1n;
  return { unscaled: q, scale: 9 };
}

/** mantissa and base-10 exponent (a multiple of 3), trailing zeros removed first. */
function canonicalDecimal(d: Dec): { mantissa: bigint; exponent: number } {
  let m = d.unscaled;
  let e = -d.scale;
  while (m !== 0n && m % 10n === 0n) {
    m /= 10n;
    e += 1;
  }
  const r = ((e % 3) + 3) % 3;
  if (r !== 0) {
    m *= pow10(r);
    e -= r;
  }
  return { mantissa: m, exponent: e };
}

/**
 * The canonical string for a quantity, or undefined when `input` is not one. Numbers (a YAML
 * `cpu: 0.5`) are read from their shortest decimal form, as the API server reads JSON numbers.
 */
export function canonicalQuantity(input: string | number): string | undefined {
  const text = typeof input === 'number' ? (Number.isFinite(input) ? numberText(input) : '') : input;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, num, exp, bin, dec] = m;
  const [whole = '', frac = ''] = num!.split('.');
  let d: Dec = { unscaled: BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n), scale: frac.length };
  let format: Format = 'DecimalSI';
  if (exp !== undefined) {
    format = 'DecimalExponent';
    const e = Number(exp.slice(1));
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1000) return undefined;
    d = e >= 0 ? { unscaled: d.unscaled * pow10(e) , scale: d.scale } : { unscaled: d.unscaled, scale: d.scale - e };
  } else if (bin !== undefined) {
    format = 'BinarySI';
    d = { unscaled: d.unscaled * 1024n ** BigInt(BINARY_SUFFIX[bin]!), scale: d.scale };
  } else if (dec !== undefined) {
    d = { unscaled: d.unscaled, scale: d.scale - DECIMAL_SUFFIX[dec]! };
  }
  if (d.scale < 0) d = { unscaled: d.unscaled * pow10(-d.scale), scale: 0 };
  d = roundUpToNano(d);
  if (d.unscaled === 0n) return '0';
  if (format === 'BinarySI') {
    const integral = d.unscaled % pow10(d.scale) === 0n;
    const abs = d.unscaled < 0n ? -d.unscaled : d.unscaled;
    if (!integral || abs < 1024n * pow10(d.scale)) format = 'DecimalSI';
    else {
      let v = d.unscaled / pow10(d.scale);
      let power = 0;
      while (power < 6 && v % 1024n === 0n) {
        v /= 1024n;
        power += 1;
      }
      return `${v}${BINARY_BY_POWER[power]}`;
    }
  }
  const { mantissa, exponent } = canonicalDecimal(d);
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = DECIMAL_BY_EXP.get(exponent);
  return suffix !== undefined ? `${mantissa}${suffix}` : `${mantissa}e${exponent}`;
}

/** A JS number as plain decimal digits (no exponent), as `JSON.stringify` would write it but expanded. */
function numberText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // 1e-7 / 1e+21: let the quantity grammar read the exponent, but as DecimalSI like the API server
  // does for JSON numbers it decodes into a Quantity (it keeps the exponent form: DecimalExponent).
  return s.replace('e+', 'e');
}
