import type { ScalerKey } from './types.ts';

/** ACI container group names: 1–63 characters, lowercase letters, digits and single hyphens. */
export const ACI_NAME_MAX = 63;

/** FNV-1a, 32 bit, as 8 hex digits: a stable short hash with no dependency (core imports nothing). */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The deterministic name of burst replica `index` of a scaler: `<namespace>-<name>-<hash>-<index>`,
 * truncated to fit. The hash covers namespace, name and uid, so a scaler deleted and re-created under
 * the same name never adopts its predecessor's groups, and truncation never makes two scalers collide.
 */
export function burstGroupName(key: ScalerKey, index: number): string {
  if (!Number.isInteger(index) || index < 0)
    throw new RangeError(`burst index must be a whole number ≥ 0, got ${index}`);
  const suffix = `-${fnv1a(`${key.namespace}/${key.name}/${key.uid}`).slice(0, 6)}-${index}`;
  const prefix = slug(`${key.namespace}-${key.name}`)
    .slice(0, ACI_NAME_MAX - suffix.length)
    .replace(/-+$/, '');
  return `${prefix || 'sw'}${suffix}`;
}
