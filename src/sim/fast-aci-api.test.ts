import type { ContainerGroup } from '@azure/arm-containerinstance';
import { describe, expect, it } from 'vitest';
import { AciModel } from './aci/model.ts';
import { createModelAciApi } from './aci/model-api.ts';
import { VirtualClock } from './clock.ts';
import { createFastModelAciApi } from './fast-aci-api.ts';

const group = (name: string): ContainerGroup => ({
  name,
  location: 'eastus',
  osType: 'Linux',
  containers: [{ name: 'w', image: 'x/y:1', resources: { requests: { cpu: 1, memoryInGB: 2 } } }],
  tags: { t: name },
});

/** Runs the same script against the plain and the fast API (each on its own model) and compares answers. */
async function both(
  script: (api: ReturnType<typeof createModelAciApi>, clock: VirtualClock) => Promise<unknown[]>,
) {
  const answers: unknown[][] = [];
  for (const make of [createModelAciApi, createFastModelAciApi]) {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const model = new AciModel({ clock, seed: 3 });
    answers.push(await script(make({ model, resourceGroup: 'rg', clock }), clock));
  }
  return answers;
}

const summary = (groups: ContainerGroup[]) =>
  groups.map((g) => `${g.name}:${g.provisioningState}:${g.instanceView?.state}:${JSON.stringify(g.tags)}`);

describe('createFastModelAciApi answers exactly as the model API', () => {
  it.each([
    {
      case: 'listing before and after groups start, get of missing and existing names',
      script: async (api: ReturnType<typeof createModelAciApi>, clock: VirtualClock) => {
        const out: unknown[] = [];
        out.push(summary(await api.list()), await api.get('a'));
        await api.createOrUpdate('a', group('a'), 'accepted');
        await api.createOrUpdate('b', group('b'), 'accepted');
        out.push(summary(await api.list()), (await api.get('a'))?.name, await api.get('zzz'));
        await clock.advance(200_000);
        out.push(summary(await api.list()), summary(await api.list()));
        await api.updateTags('a', { t: 'draining' });
        out.push(summary(await api.list()));
        await api.delete('b');
        out.push(summary(await api.list()), await api.get('b'));
        return out;
      },
    },
    {
      case: 'a refused create leaves no group, a later listing and get agree',
      script: async (api: ReturnType<typeof createModelAciApi>, clock: VirtualClock) => {
        const out: unknown[] = [];
        const refused = async (name: string, g: ContainerGroup): Promise<string> =>
          api.createOrUpdate(name, g, 'accepted').then(
            () => 'created',
            (error: unknown) => (error as { code?: string }).code ?? 'error',
          );
        out.push(summary(await api.list()));
        out.push(await refused('a', group('a')), await refused('b', { ...group('b'), osType: 'Plan9' }));
        out.push(await api.get('b'), summary(await api.list()), await api.get('b'));
        await clock.advance(200_000);
        out.push(summary(await api.list()), await api.get('b'), (await api.get('a'))?.name);
        await api.delete('a');
        await api.delete('a');
        out.push(summary(await api.list()), await api.get('a'));
        out.push(await refused('c', group('c')), summary(await api.list()), (await api.get('c'))?.name);
        return out;
      },
    },
  ])('$case', async ({ script }) => {
    const [plain, fast] = await both(script);
    expect(fast).toEqual(plain);
  });
});
