import type { V1EndpointSlice, V1PodTemplateSpec, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { EndpointAddress } from '../ports.ts';
import {
  checkAddresses,
  desiredEndpointSlice,
  endpointPorts,
  endpointSliceName,
  sameEndpointSlice,
} from './endpoint-slice.ts';

const service: V1Service = {
  metadata: { name: 'orders', namespace: 'shop' },
  spec: {
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9090, appProtocol: 'http' },
      { name: 'grpc', port: 81 },
      { name: 'admin', port: 82, targetPort: 'admin' },
    ],
  },
};
const template: V1PodTemplateSpec = {
  spec: { containers: [{ name: 'w', ports: [{ name: 'http', containerPort: 8080 }] }] },
};
const scaler = { namespace: 'shop', name: 'orders-worker', uid: 'u-1' };

describe('endpointPorts', () => {
  it('resolves target ports like the EndpointSlice controller', () => {
    expect(endpointPorts(service, template)).toEqual({
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP', appProtocol: 'http' },
        { name: 'grpc', port: 81, protocol: 'TCP' },
      ],
      unresolved: ['admin'],
    });
  });
});

describe('checkAddresses', () => {
  const ok: EndpointAddress = { name: 'shop-orders-1a2b3c-0', ip: '10.225.0.4', ready: true };
  it.each<[string, EndpointAddress[], string | undefined]>([
    ['valid', [ok, { ...ok, name: 'shop-orders-1a2b3c-1', ip: '10.225.0.5' }], undefined],
    ['IPv6', [{ ...ok, ip: 'fd00::4' }], 'addresses[0].ip: "fd00::4" is not an IPv4 address'],
    ['not an IP', [{ ...ok, ip: '10.225.0' }], 'addresses[0].ip: "10.225.0" is not an IPv4 address'],
    [
      'name not a DNS label',
      [{ ...ok, name: 'Shop_Orders' }],
      'addresses[0].name: "Shop_Orders" must be a DNS label',
    ],
    ['duplicate IP', [ok, { ...ok, name: 'other' }], 'addresses[1].ip: 10.225.0.4 is listed twice'],
  ])('%s', (_name, addresses, error) => {
    if (error === undefined) expect(() => checkAddresses(addresses)).not.toThrow();
    else expect(() => checkAddresses(addresses)).toThrow(error);
  });

  it('refuses more than one slice can hold', () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({
      name: `r-${i}`,
      ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      ready: true,
    }));
    expect(() => checkAddresses(many)).toThrow(
      'addresses: at most 1000 endpoints fit in one EndpointSlice, got 1001',
    );
  });
});

describe('desiredEndpointSlice', () => {
  const addresses: EndpointAddress[] = [
    { name: 'shop-orders-1a2b3c-1', ip: '10.225.0.5', ready: false },
    { name: 'shop-orders-1a2b3c-0', ip: '10.225.0.4', ready: true },
  ];
  const slice = desiredEndpointSlice({
    scaler,
    service,
    ports: endpointPorts(service, template).ports,
    addresses,
  });

  it('is labelled for kube-proxy, managed by Spillway, owned by the scaler', () => {
    expect(slice.metadata).toEqual({
      name: 'orders-orders-worker-spillway',
      namespace: 'shop',
      labels: {
        'kubernetes.io/service-name': 'orders',
        'endpointslice.kubernetes.io/managed-by': 'spillway.io',
        'spillway.io/burstscaler': 'orders-worker',
      },
      ownerReferences: [
        { apiVersion: 'spillway.io/v1alpha1', kind: 'BurstScaler', name: 'orders-worker', uid: 'u-1' },
      ],
    });
    expect(slice.addressType).toBe('IPv4');
  });

  it('lists endpoints sorted, with ready and serving from the replica', () => {
    expect(slice.endpoints).toEqual([
      {
        addresses: ['10.225.0.4'],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: 'shop-orders-1a2b3c-0',
      },
      {
        addresses: ['10.225.0.5'],
        conditions: { ready: false, serving: false, terminating: false },
        hostname: 'shop-orders-1a2b3c-1',
      },
    ]);
  });

  it.each<[string, (s: Record<string, unknown>) => void, boolean]>([
    ['the same slice read back as JSON', () => undefined, true],
    [
      'with extra labels someone added',
      (s) => ((s.metadata as { labels: Record<string, string> }).labels.extra = 'x'),
      true,
    ],
    [
      'an endpoint turned ready',
      (s) => ((s.endpoints as { conditions: { ready: boolean } }[])[1]!.conditions.ready = true),
      false,
    ],
    ['a port changed', (s) => ((s.ports as { port: number }[])[0]!.port = 8081), false],
    [
      'a label removed',
      (s) => delete (s.metadata as { labels: Record<string, string> }).labels['kubernetes.io/service-name'],
      false,
    ],
  ])('sameEndpointSlice: %s → %s', (_name, change, same) => {
    const stored = JSON.parse(JSON.stringify(slice)) as Record<string, unknown>;
    change(stored);
    expect(sameEndpointSlice(stored as unknown as V1EndpointSlice, slice)).toBe(same);
  });

  it('keeps long names within 253 characters', () => {
    const name = endpointSliceName('s'.repeat(63), 'n'.repeat(253));
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/-[0-9a-f]{8}-spillway$/);
  });
});
