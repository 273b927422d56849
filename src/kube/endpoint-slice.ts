/**
 * The EndpointSlice Spillway keeps for a Service, listing burst (ACI) replicas so that kube-proxy and
 * other Service consumers send them traffic. It carries `kubernetes.io/service-name` (how consumers find
 * it) and `endpointslice.kubernetes.io/managed-by: spillway.io` (so the EndpointSlice controller leaves it
 * alone), and is owned by the BurstScaler, so deleting the scaler deletes it.
 */
import { isIPv4 } from 'node:net';
import type {
  V1ContainerPort,
  DiscoveryV1EndpointPort,
  V1EndpointSlice,
  V1PodTemplateSpec,
  V1Service,
} from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { createHash } from 'node:crypto';
import type { ScalerKey } from '../core/types.ts';
import type { EndpointAddress } from '../ports.ts';
import { InvalidRequestError } from './errors.ts';
import { BURST_SCALER_API_VERSION } from './events.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'spillway.io';
/** Names the BurstScaler a slice belongs to, so watch events map back to it. */
export const SCALER_LABEL = 'spillway.io/burstscaler';
/** The API's limit of endpoints in one slice. */
export const MAX_ENDPOINTS = 1000;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `<service>-<scaler>-spillway`, shortened with a hash when longer than a DNS subdomain allows. */
export function endpointSliceName(serviceName: string, scalerName: string): string {
  const name = `${serviceName}-${scalerName}-spillway`;
  if (name.length <= 253) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 253 - 18).replace(/[-.]+$/, '')}-${hash}-spillway`;
}

function resolvePort(
  targetPort: number | string | undefined,
  port: number,
  containerPorts: V1ContainerPort[],
): number | undefined {
  if (targetPort === undefined) return port;
  if (typeof targetPort === 'number') return targetPort;
  if (/^\d+$/.test(targetPort)) return Number(targetPort);
  return containerPorts.find((p) => p.name === targetPort)?.containerPort;
}

/**
 * Endpoint ports from the Service's ports: the target port, resolved by name against the target's
 * container ports when named. Ports whose name cannot be resolved are left out, as the EndpointSlice
 * controller does; their names are returned so the caller can say so.
 */
export function endpointPorts(
  service: V1Service,
  template: V1PodTemplateSpec | undefined,
): { ports: DiscoveryV1EndpointPort[]; unresolved: string[] } {
  const containerPorts = (template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  const ports: DiscoveryV1EndpointPort[] = [];
  const unresolved: string[] = [];
  for (const servicePort of service.spec?.ports ?? []) {
    const number = resolvePort(servicePort.targetPort, servicePort.port, containerPorts);
    if (number === undefined) {
      unresolved.push(String(servicePort.targetPort));
      continue;
    }
    const endpointPort: DiscoveryV1EndpointPort = {
      name: servicePort.name ?? '',
      port: number,
      protocol: servicePort.protocol ?? 'TCP',
    };
    if (servicePort.appProtocol) endpointPort.appProtocol = servicePort.appProtocol;
    ports.push(endpointPort);
  }
  return { ports, unresolved };
}

/**
 * Checks burst replica addresses: IPv4, DNS-label names, no duplicates, at most 1000.
 * @throws InvalidRequestError naming the offending entry
 */
export function checkAddresses(addresses: readonly EndpointAddress[]): void {
  if (addresses.length > MAX_ENDPOINTS)
    throw new InvalidRequestError(
      'addresses',
      `at most ${MAX_ENDPOINTS} endpoints fit in one EndpointSlice, got ${addresses.length}`,
    );
  const ips = new Set<string>();
  addresses.forEach((address, i) => {
    if (!isIPv4(address.ip))
      throw new InvalidRequestError(
        `addresses[${i}].ip`,
        `"${address.ip}" is not an IPv4 address (addressType IPv4)`,
      );
    if (address.name.length > 63 || !DNS_LABEL.test(address.name))
      throw new InvalidRequestError(
        `addresses[${i}].name`,
        `"${address.name}" must be a DNS label (lowercase letters, digits, '-', at most 63 characters)`,
      );
    if (ips.has(address.ip))
      throw new InvalidRequestError(`addresses[${i}].ip`, `${address.ip} is listed twice`);
    ips.add(address.ip);
  });
}

/** The slice Spillway wants for this Service and these addresses (endpoints sorted by name). */
export function desiredEndpointSlice(args: {
  scaler: ScalerKey;
  service: V1Service;
  ports: DiscoveryV1EndpointPort[];
  addresses: readonly EndpointAddress[];
}): V1EndpointSlice {
  const serviceName = args.service.metadata?.name ?? '';
  const endpoints = [...args.addresses]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((address) => ({
      addresses: [address.ip],
      conditions: { ready: address.ready, serving: address.ready, terminating: false },
      hostname: address.name,
    }));
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: endpointSliceName(serviceName, args.scaler.name),
      namespace: args.scaler.namespace,
      labels: {
        [SERVICE_NAME_LABEL]: serviceName,
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [SCALER_LABEL]: args.scaler.name,
      },
      ownerReferences: [
        {
          apiVersion: BURST_SCALER_API_VERSION,
          kind: 'BurstScaler',
          name: args.scaler.name,
          uid: args.scaler.uid,
        },
      ],
    },
    addressType: 'IPv4',
    ports: args.ports,
    endpoints,
  };
}

/** True when the stored slice already says what `desired` says (labels, owner, ports, endpoints). */
export function sameEndpointSlice(stored: V1EndpointSlice, desired: V1EndpointSlice): boolean {
  const labels = stored.metadata?.labels ?? {};
  const wantedLabels = desired.metadata?.labels ?? {};
  return (
    Object.entries(wantedLabels).every(([key, value]) => labels[key] === value) &&
    isDeepStrictEqual(plain(stored.metadata?.ownerReferences), plain(desired.metadata?.ownerReferences)) &&
    stored.addressType === desired.addressType &&
    isDeepStrictEqual(plain(stored.ports ?? []), plain(desired.ports ?? [])) &&
    isDeepStrictEqual(plain(stored.endpoints), plain(desired.endpoints))
  );
}

/** Drops undefined members and class prototypes, so typed and raw JSON objects compare by content. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
