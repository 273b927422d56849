/**
 * Reading the API server's audit log for the scenarios: which requests a given token made, which RBAC
 * permission each request used, and which permissions an RBAC manifest grants.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AuditEvent } from '../harness.ts';
import { repoRoot } from './binaries.ts';

/** The audit log's `authentication.kubernetes.io/credential-id` of a ServiceAccount token (`JTI=<jti>`). */
export function credentialId(token: string): string {
  const payload = token.split('.')[1];
  if (!payload) throw new TypeError('not a JWT: no payload');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti?: string };
  if (!claims.jti) throw new TypeError('the token has no jti claim');
  return `JTI=${claims.jti}`;
}

/** Whether the request was made with this credential. */
export function madeWith(event: AuditEvent, credential: string): boolean {
  return event.user.extra?.['authentication.kubernetes.io/credential-id']?.includes(credential) ?? false;
}

/** Verbs that change something. */
export const WRITE_VERBS: ReadonlySet<string> = new Set([
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
]);

/**
 * The RBAC permission a request used, as `<verb> <resource>[/<subresource>][.<group>]`, e.g.
 * `patch deployments/scale.apps` or `list pods`; undefined for non-resource requests.
 */
export function permissionOf(event: AuditEvent): string | undefined {
  const ref = event.objectRef;
  if (!ref?.resource) return undefined;
  const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
  return `${event.verb} ${resource}${ref.apiGroup ? `.${ref.apiGroup}` : ''}`;
}

interface RbacDocument {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }[];
}

/** One granted permission of a Role or ClusterRole. */
export interface Grant {
  /** `<verb> <resource>[.<group>]`, as {@link permissionOf} writes it. */
  permission: string;
  /** `ClusterRole/spillway`, `Role/spillway-system/spillway-leader-election`, … */
  role: string;
  /** Set when the rule is limited to named objects. */
  resourceNames?: string[];
}

/** Every permission the Roles and ClusterRoles in an RBAC manifest (a file, relative to the repository) grant. */
export async function grantsIn(path: string): Promise<Grant[]> {
  const text = await readFile(isAbsolute(path) ? path : join(repoRoot, path), 'utf8');
  const grants: Grant[] = [];
  for (const document of parseAllDocuments(text)) {
    const object = document.toJSON() as RbacDocument | null;
    if (!object || (object.kind !== 'Role' && object.kind !== 'ClusterRole')) continue;
    const role =
      object.kind === 'Role'
        ? `Role/${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`
        : `ClusterRole/${object.metadata?.name ?? ''}`;
    for (const rule of object.rules ?? [])
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs ?? [])
            grants.push({
              permission: `${verb} ${resource}${group ? `.${group}` : ''}`,
              role,
              ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
            });
  }
  return grants;
}
