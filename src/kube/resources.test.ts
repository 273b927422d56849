import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podRequests, toResources } from './resources.ts';

const MI = 1024 ** 2;

function container(
  name: string,
  requests: Record<string, string>,
  extra: Partial<V1Container> & { limits?: Record<string, string> } = {},
): V1Container {
  const { limits, ...rest } = extra;
  return { name, resources: { requests, ...(limits ? { limits } : {}) }, ...rest };
}

describe('podRequests: the scheduler effective request', () => {
  it.each<[string, V1PodSpec, Record<string, number>]>([
    [
      'one container',
      { containers: [container('a', { cpu: '500m', memory: '1Gi' })] },
      { cpu: 500, memory: 1024 * MI },
    ],
    [
      'containers add up',
      {
        containers: [
          container('a', { cpu: '500m', memory: '512Mi' }),
          container('b', { cpu: '250m', memory: '256Mi' }),
        ],
      },
      { cpu: 750, memory: 768 * MI },
    ],
    [
      'an init container larger than the app counts as the peak',
      {
        containers: [container('a', { cpu: '500m', memory: '512Mi' })],
        initContainers: [container('migrate', { cpu: '2', memory: '256Mi' })],
      },
      { cpu: 2000, memory: 512 * MI },
    ],
    [
      'init containers take the max, not the sum',
      {
        containers: [container('a', { cpu: '100m' })],
        initContainers: [container('i1', { cpu: '300m' }), container('i2', { cpu: '400m' })],
      },
      { cpu: 400 },
    ],
    [
      'a sidecar (restartPolicy Always) adds to the app and to later init containers',
      {
        containers: [container('a', { cpu: '500m' })],
        initContainers: [
          container('proxy', { cpu: '100m' }, { restartPolicy: 'Always' }),
          container('migrate', { cpu: '1' }),
        ],
      },
      { cpu: 1100 },
    ],
    [
      'a sidecar after a big init container does not add to it',
      {
        containers: [container('a', { cpu: '500m' })],
        initContainers: [
          container('migrate', { cpu: '1' }),
          container('proxy', { cpu: '100m' }, { restartPolicy: 'Always' }),
        ],
      },
      { cpu: 1000 },
    ],
    [
      'a limit without a request is requested at the limit',
      { containers: [container('a', {}, { limits: { cpu: '1', memory: '1Gi' } })] },
      { cpu: 1000, memory: 1024 * MI },
    ],
    [
      'a request below its limit stays the request',
      { containers: [container('a', { cpu: '250m' }, { limits: { cpu: '1' } })] },
      { cpu: 250 },
    ],
    [
      'pod overhead is added',
      {
        containers: [container('a', { cpu: '500m', memory: '1Gi' })],
        overhead: { cpu: '250m', memory: '120Mi' },
      },
      { cpu: 750, memory: 1144 * MI },
    ],
    [
      'extended resources are kept',
      { containers: [container('a', { cpu: '1', 'nvidia.com/gpu': '1' })] },
      { cpu: 1000, 'nvidia.com/gpu': 1 },
    ],
    ['no requests at all', { containers: [{ name: 'a' }] }, {}],
  ])('%s', (_name, spec, expected) => {
    expect(podRequests(spec)).toEqual(expected);
  });

  it('names the container and field of a bad quantity', () => {
    expect(() =>
      podRequests(
        { containers: [container('a', {}), container('b', { cpu: 'lots' })] },
        'spec.template.spec',
      ),
    ).toThrow('spec.template.spec.containers[1].resources.requests.cpu: "lots" is not a Kubernetes quantity');
  });

  it('converts to vCPU and GiB for the core', () => {
    expect(toResources({ cpu: 1500, memory: 1536 * MI })).toEqual({ cpu: 1.5, memoryGiB: 1.5 });
    expect(toResources({})).toEqual({ cpu: 0, memoryGiB: 0 });
  });
});
