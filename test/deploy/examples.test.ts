/**
 * The example BurstScalers (deploy/examples): every object is valid, every BurstScaler compiles with the
 * project's compilePolicy, and its target's pod template really translates into an ACI container group
 * the way the spec asks (VNet, Spot, secrets as secure values) — so a user who copies one gets a scaler
 * that works, not one that is only well-formed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  buildContainerGroup,
  checkBurstable,
  compileTranslationOptions,
  referencedObjects,
  spotRestriction,
  templateOs,
} from '../../src/aci/translate.ts';
import { compilePolicy } from '../../src/spec/compile.ts';
import type { BurstScalerObject } from '../../src/ports.ts';
import { parseManifests, REPO, type Manifest } from './tools.ts';
import { validateManifests } from './validate.ts';

const EXAMPLES_DIR = 'deploy/examples';
const examples = readdirSync(join(REPO, EXAMPLES_DIR))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const load = (file: string): Manifest[] =>
  parseManifests(readFileSync(join(REPO, EXAMPLES_DIR, file), 'utf8'), `${EXAMPLES_DIR}/${file}`);

const stored = (m: Manifest): BurstScalerObject =>
  ({
    ...m,
    metadata: { ...m.metadata, uid: `uid-${m.metadata.name}`, generation: 1 },
  }) as unknown as BurstScalerObject;

interface DeploymentView {
  metadata: { name: string };
  spec: { template: V1PodTemplateSpec & { metadata: { labels: Record<string, string> } } };
}

/** The BurstScaler's target Deployment, from the same file. */
function target(manifests: Manifest[], scaler: Manifest): DeploymentView {
  const { targetRef } = compilePolicy(stored(scaler));
  const deployment = manifests.find((m) => m.kind === targetRef.kind && m.metadata.name === targetRef.name);
  if (!deployment)
    throw new Error(`${scaler.metadata.name}: target ${targetRef.kind}/${targetRef.name} is not in the file`);
  return deployment as unknown as DeploymentView;
}

describe('example BurstScalers', () => {
  it('there is a queue worker on Azure Storage Queue and an HTTP service on Prometheus', () => {
    const triggers = examples.flatMap((file) =>
      load(file)
        .filter((m) => m.kind === 'BurstScaler')
        .flatMap((m) => compilePolicy(stored(m)).triggers.map((t) => t.type)),
    );
    expect(triggers).toEqual(expect.arrayContaining(['azure-storage-queue', 'prometheus']));
  });

  it.each(examples)('%s: every object is valid (BurstScalers compile with compilePolicy)', async (file) => {
    const manifests = load(file);
    expect(manifests.filter((m) => m.kind === 'BurstScaler').length).toBeGreaterThan(0);
    expect(await validateManifests(manifests)).toEqual([]);
  });

  it.each(examples)('%s: the target pod template translates into an ACI container group', (file) => {
    const manifests = load(file);
    for (const scaler of manifests.filter((m) => m.kind === 'BurstScaler')) {
      const policy = compilePolicy(stored(scaler));
      const { template } = target(manifests, scaler).spec;
      const options = compileTranslationOptions({ clusterDns: { nameServer: '10.0.0.10' } });
      expect(checkBurstable(template, options)).toEqual({ ok: true });

      // Every Secret and ConfigMap key the template reads, with a stand-in value.
      const refs = referencedObjects(template);
      const secrets = new Map(refs.secrets.map((name) => [name, { connection: `secret-of-${name}` }]));
      const configMaps = new Map(refs.configMaps.map((name) => [name, {}]));
      const { aci } = policy.burst;
      const built = buildContainerGroup({
        template,
        groupName: `${policy.key.name}-0`,
        namespace: policy.key.namespace,
        region: aci.regions[0]!,
        priority: aci.priority,
        ...(aci.subnetId ? { subnetId: aci.subnetId } : {}),
        tags: {},
        values: { secrets, configMaps },
        options,
      });
      const group = built.group;
      if (aci.subnetId) {
        expect(group.subnetIds).toEqual([{ id: aci.subnetId }]);
        expect(group.ipAddress?.type).toBe('Private');
      }
      if (aci.priority === 'Spot')
        expect(spotRestriction(built.resources, aci.subnetId, templateOs(template))).toBeUndefined();
      // Secret values only ever travel as secure environment values.
      for (const name of refs.secrets) {
        const env = group.containers.flatMap((c) => c.environmentVariables ?? []);
        expect(env.filter((e) => e.secureValue === `secret-of-${name}`).length, name).toBeGreaterThan(0);
        expect(env.some((e) => e.value === `secret-of-${name}`)).toBe(false);
      }
    }
  });

  it.each(examples)(
    '%s: Secrets the template reads are readable through a RoleBinding in its namespace',
    (file) => {
      const manifests = load(file);
      for (const scaler of manifests.filter((m) => m.kind === 'BurstScaler')) {
        const refs = referencedObjects(target(manifests, scaler).spec.template);
        if (refs.secrets.length + refs.configMaps.length === 0) continue;
        const binding = manifests.find(
          (m) =>
            m.kind === 'RoleBinding' &&
            m.metadata.namespace === scaler.metadata.namespace &&
            (m as unknown as { roleRef: { name: string } }).roleRef.name === 'spillway-values-reader',
        );
        expect(
          binding,
          `RoleBinding to spillway-values-reader in ${scaler.metadata.namespace}`,
        ).toBeDefined();
      }
    },
  );

  it.each(examples)('%s: an EndpointSlice Service selects the target’s pods', (file) => {
    const manifests = load(file);
    for (const scaler of manifests.filter((m) => m.kind === 'BurstScaler')) {
      const serviceName = compilePolicy(stored(scaler)).burst.endpointSlice?.serviceName;
      if (!serviceName) continue;
      const service = manifests.find(
        (m) => m.kind === 'Service' && m.metadata.name === serviceName,
      ) as unknown as { spec: { selector: Record<string, string> } } | undefined;
      expect(service, `Service ${serviceName}`).toBeDefined();
      const labels = target(manifests, scaler).spec.template.metadata.labels;
      expect(Object.entries(service!.spec.selector).every(([k, v]) => labels[k] === v)).toBe(true);
    }
  });
});
