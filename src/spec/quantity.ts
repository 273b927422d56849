/**
 * Kubernetes resource quantities (`500m`, `1.5`, `512Mi`, `2G`, `1e3`), read with the grammar of
 * k8s.io/apimachinery's resource.Quantity: a signed decimal number followed by a binary-SI suffix
 * (Ki…Ei), a decimal-SI suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2).
 */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Decimal-SI suffixes as powers of ten (scaled in decimal, so `100n` is exactly 1e-7). */
const DECIMAL_EXPONENTS: Record<string, number> = {
  '': 0,
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const BINARY_MULTIPLIERS: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The value of a quantity in base units (cores for CPU, bytes for memory), or undefined when the text
 * is not a quantity or its value is not a finite number.
 */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const [, number = '', suffix = ''] = match;
  const binary = BINARY_MULTIPLIERS[suffix];
  const value =
    binary !== undefined
      ? Number(number) * binary
      : Number(`${number}e${DECIMAL_EXPONENTS[suffix] ?? Number(suffix.slice(1))}`);
  return Number.isFinite(value) ? value : undefined;
}
