/**
 * Kubernetes resource quantities (`500m`, `1.5Gi`, `2`, `1e3`) as exact integers.
 *
 * client-node 2.0.1 has `quantityToScalar`, but it is not exported from the package root, it throws on
 * valid quantities such as `1.5Gi` (it feeds the decimal part to BigInt) and it uses floating point for
 * milli values (`0.1 * 1000 = 100.00000000000001`). Kubernetes itself rounds a quantity *up* to the
 * requested scale (`MilliValue()`, `Value()`), and the scheduler compares integers; this module does the
 * same with BigInt arithmetic, so `floor(free / request)` never suffers from rounding error.
 */
import { QuantityError } from './errors.ts';

// <sign><number><suffix>: suffix is a binary SI suffix, a decimal exponent (e3, E-2) or a decimal SI suffix.
// "1E" is exa (decimal SI), "1E3" is 1000 (exponent): the exponent alternative is tried first.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(n|u|m|k|M|G|T|P|E))?$/;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The unit a quantity is returned in: `milli` for CPU (millicores), `unit` for bytes and counts. */
export type QuantityScale = 'milli' | 'unit';

/**
 * Parses a quantity and returns it as an integer in the given scale, rounded up as Kubernetes does.
 * `field` names where the value came from, for the error message.
 * @throws QuantityError when the text is not a quantity.
 */
export function parseQuantity(value: string | number, scale: QuantityScale, field: string): number {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = QUANTITY.exec(text);
  if (!match) throw new QuantityError(field, String(value));
  const [, sign = '', number = '', binary, exponent, decimal] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let exp10 = -fraction.length + (scale === 'milli' ? 3 : 0);
  if (exponent !== undefined) exp10 += Number(exponent);
  if (decimal !== undefined) exp10 += DECIMAL[decimal] ?? 0;
  const exp2 = binary !== undefined ? (BINARY[binary] ?? 0) : 0;

  let numerator = BigInt(`${whole}${fraction}` || '0') << BigInt(exp2);
  let denominator = 1n;
  if (exp10 >= 0) numerator *= 10n ** BigInt(exp10);
  else denominator = 10n ** BigInt(-exp10);
  let magnitude = numerator / denominator;
  const negative = sign === '-';
  // Round toward +∞ (Kubernetes' rounding for MilliValue/Value).
  if (!negative && numerator % denominator !== 0n) magnitude += 1n;
  const result = Number(magnitude);
  return negative && result !== 0 ? -result : result;
}
