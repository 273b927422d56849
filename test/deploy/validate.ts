/**
 * Validates rendered Kubernetes objects against the Kubernetes OpenAPI schemas (kubernetes-models, and
 * @kubernetes-models/prometheus-operator for ServiceMonitor and PrometheusRule). BurstScalers are
 * compiled with the project's own compilePolicy, which validates them against the CRD's schema and the
 * cross-field rules.
 *
 * kubernetes-models checks types, formats (quantities, int-or-string), enums and required fields; like
 * the API server without `--validate=strict`, it does not reject unknown fields.
 */
import { compilePolicy } from '../../src/spec/compile.ts';
import { isSpecValidationError } from '../../src/spec/errors.ts';
import type { BurstScalerObject } from '../../src/ports.ts';
import type { Manifest } from './tools.ts';

type ModelModule = Record<string, unknown>;

/** The schema modules by apiVersion. An apiVersion not listed here fails validation. */
const MODULES: Record<string, () => Promise<ModelModule>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'rbac.authorization.k8s.io/v1': () => import('kubernetes-models/rbac.authorization.k8s.io/v1'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  'apiextensions.k8s.io/v1': () => import('kubernetes-models/apiextensions.k8s.io/v1'),
  'coordination.k8s.io/v1': () => import('kubernetes-models/coordination.k8s.io/v1'),
  'discovery.k8s.io/v1': () => import('kubernetes-models/discovery.k8s.io/v1'),
  'monitoring.coreos.com/v1': () => import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'),
};

interface Model {
  validate(): void;
}

/** What compilePolicy needs beyond a manifest: the API server sets these on create. */
function asStored(manifest: Manifest): BurstScalerObject {
  return {
    ...manifest,
    metadata: { ...manifest.metadata, uid: `uid-${manifest.metadata.name}`, generation: 1 },
  } as unknown as BurstScalerObject;
}

/**
 * The problems with one object (empty when it is valid), each naming the object and the field path.
 */
export async function validateManifest(manifest: Manifest): Promise<string[]> {
  const id = `${manifest.kind} ${manifest.metadata.namespace ?? ''}/${manifest.metadata.name}`;
  if (manifest.apiVersion === 'spillway.io/v1alpha1' && manifest.kind === 'BurstScaler') {
    try {
      compilePolicy(asStored(manifest));
      return [];
    } catch (error) {
      if (isSpecValidationError(error)) return [`${id}: ${error.message}`];
      throw error;
    }
  }
  const load = MODULES[manifest.apiVersion];
  if (!load)
    return [`${id}: no schema for apiVersion ${manifest.apiVersion} (add it to test/deploy/validate.ts)`];
  const ModelClass = (await load())[manifest.kind] as (new (data: unknown) => Model) | undefined;
  if (typeof ModelClass !== 'function')
    return [`${id}: no schema for kind ${manifest.kind} in ${manifest.apiVersion}`];
  try {
    new ModelClass(manifest).validate();
    return [];
  } catch (error) {
    return [`${id}: ${(error as Error).message}`];
  }
}

/** The problems with every object, in order. */
export async function validateManifests(manifests: Manifest[]): Promise<string[]> {
  const problems = await Promise.all(manifests.map(validateManifest));
  return problems.flat();
}
