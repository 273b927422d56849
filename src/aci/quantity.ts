/**
 * Kubernetes resource quantities ("500m", "1.5", "512Mi", "2G", "1e3") as plain numbers.
 *
 * The grammar is the one in k8s.io/apimachinery's `resource.Quantity`: a signed decimal number followed
 * by an optional binary suffix (Ki…Ei), decimal suffix (n, u, m, k, M, G, T, P, E) or decimal exponent
 * (e3, E-2). client-node's `quantityToScalar` rejects fractional binary quantities such as "1.5Gi",
 * which are valid Kubernetes, so this small parser is used instead.
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Thrown for text that is not a Kubernetes quantity. */
export class QuantityError extends Error {
  override name = 'QuantityError';
}

/**
 * Parses a quantity into its value in base units (cores for CPU, bytes for memory).
 * @throws QuantityError when `text` is not a quantity.
 */
export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new QuantityError(`"${text}" is not a quantity`);
    return text;
  }
  const match = QUANTITY.exec(text.trim());
  if (!match) {
    throw new QuantityError(`"${text}" is not a quantity (examples: 500m, 1.5, 512Mi, 2Gi, 1e3)`);
  }
  const value = Number(match[1]);
  const suffix = match[2] ?? '';
  if (suffix in BINARY) return value * BINARY[suffix]!;
  if (suffix in DECIMAL) return value * DECIMAL[suffix]!;
  return value * 10 ** Number(suffix.slice(1));
}
