/**
 * The BurstScaler CustomResourceDefinition, built from the schema in src/spec/schema.ts and rendered as
 * the YAML committed at deploy/crds/burstscaler.yaml (`npm run crd`).
 */
import { stringify } from 'yaml';
import { BURST_SCALER_API, BurstScalerSpecSchema, BurstScalerStatusSchema } from './schema.ts';
import { structuralSchemaProblems } from './structural.ts';
import { toPlainSchema } from './validate.ts';

/** `metadata.name` of the CRD: `<plural>.<group>`. */
export const CRD_NAME = `${BURST_SCALER_API.plural}.${BURST_SCALER_API.group}`;

/** A printer column of `kubectl get burstscalers`. */
export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** The columns `kubectl get bs` shows. */
export const PRINTER_COLUMNS: PrinterColumn[] = [
  {
    name: 'Desired',
    type: 'integer',
    jsonPath: '.status.desiredReplicas',
    description: 'Replicas wanted in total (VM + ACI).',
  },
  { name: 'On VM', type: 'integer', jsonPath: '.status.vmReplicas', description: 'Replicas on VM nodes.' },
  { name: 'On ACI', type: 'integer', jsonPath: '.status.aciReplicas', description: 'Replicas on ACI.' },
  {
    name: 'Mode',
    type: 'string',
    jsonPath: '.status.mode',
    description: 'Placement mode: none, bridge or spill.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
];

/** The whole `openAPIV3Schema` of the resource: the object around `spec` and `status`. */
export function burstScalerOpenApiSchema(): Record<string, unknown> {
  return {
    type: 'object',
    description:
      'BurstScaler scales a workload on demand signals and runs the replicas the cluster’s VM nodes cannot take in time, or cheaper, as Azure Container Instances, chosen by a cost model.',
    required: ['spec'],
    properties: {
      apiVersion: {
        type: 'string',
        description:
          'APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      },
      kind: {
        type: 'string',
        description:
          'Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      },
      metadata: { type: 'object' },
      spec: toPlainSchema(BurstScalerSpecSchema),
      status: toPlainSchema(BurstScalerStatusSchema),
    },
  };
}

/**
 * The CustomResourceDefinition object (apiextensions.k8s.io/v1): namespaced, version v1alpha1 served and
 * stored, status subresource, printer columns.
 *
 * @throws {Error} if the schema is not structural (a programming error caught by the tests).
 */
export function burstScalerCrd(): Record<string, unknown> {
  const openAPIV3Schema = burstScalerOpenApiSchema();
  const problems = structuralSchemaProblems(openAPIV3Schema);
  if (problems.length > 0) {
    throw new Error(`the BurstScaler schema is not a structural schema: ${problems.join('; ')}`);
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: { 'app.kubernetes.io/name': 'spillway', 'app.kubernetes.io/part-of': 'spillway' },
    },
    spec: {
      group: BURST_SCALER_API.group,
      names: {
        kind: BURST_SCALER_API.kind,
        listKind: BURST_SCALER_API.listKind,
        plural: BURST_SCALER_API.plural,
        singular: BURST_SCALER_API.singular,
        shortNames: [...BURST_SCALER_API.shortNames],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: BURST_SCALER_API.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS,
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

/** The CRD as the YAML committed at deploy/crds/burstscaler.yaml. */
export function renderCrdYaml(): string {
  return (
    '# The BurstScaler CustomResourceDefinition.\n' +
    '# Generated from src/spec/schema.ts by `npm run crd`; do not edit by hand.\n' +
    '---\n' +
    stringify(burstScalerCrd(), { lineWidth: 0 })
  );
}
