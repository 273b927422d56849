/**
 * Kubernetes resource quantities (`500m`, `1.5`, `512Mi`, `2G`, `1e3`), read with the grammar of
 * k8s.io/apimachinery's resource.Quantity: a signed decimal number followed by a binary-SI suffix
 * (Ki…Ei), a decimal-SI suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2).
 */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const MULTIPLIERS: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
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
  const multiplier = MULTIPLIERS[suffix] ?? 10 ** Number(suffix.slice(1));
  const value = Number(number) * multiplier;
  return Number.isFinite(value) ? value : undefined;
}
