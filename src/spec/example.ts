/**
 * The BurstScaler from DESIGN.md §2, as a manifest: the reference documentation shows it, and the tests
 * compile it.
 */
import { BURST_SCALER_API, type BurstScalerSpec } from './schema.ts';

/** A manifest as a user writes it (no uid or generation yet). */
export interface BurstScalerManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: BurstScalerSpec;
}

/** A queue worker bursting to ACI in two regions, pre-warmed on weekday mornings. */
export const exampleBurstScaler: BurstScalerManifest = {
  apiVersion: `${BURST_SCALER_API.group}/${BURST_SCALER_API.version}`,
  kind: BURST_SCALER_API.kind,
  metadata: { name: 'orders-worker', namespace: 'shop' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-worker' },
    minReplicas: 1,
    maxReplicas: 300,
    triggers: [
      {
        type: 'azure-storage-queue',
        metadata: { queueName: 'orders', accountName: 'shopdata', targetPerReplica: '20' },
        authenticationRef: { name: 'shop-queue-auth' },
      },
      {
        type: 'prometheus',
        metadata: {
          serverAddress: 'http://prometheus.monitoring:9090',
          query: 'sum(rate(http_requests_total{app="orders"}[1m]))',
          targetPerReplica: '50',
        },
      },
    ],
    pendingPods: { enabled: true, graceSeconds: 20 },
    behavior: {},
    fallback: { failureThreshold: 3, replicas: 10 },
    burst: {
      provider: 'aci',
      aci: {
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        resourceGroup: 'shop-burst',
        regions: ['eastus', 'eastus2'],
        subnetId:
          '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shop-network/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aci',
        priority: 'Regular',
      },
      maxBurstReplicas: 200,
      drain: { gracePeriodSeconds: 60, minBurstLifetimeSeconds: 60 },
    },
    cost: {
      vm: {
        nodeHourlyUSD: 0.192,
        discountPercent: 0,
        nodeVCPU: 4,
        nodeMemoryGiB: 16,
        reservedPercent: 15,
        provisionSeconds: 300,
        minNodeLifetimeSeconds: 600,
      },
      aci: { vcpuSecondUSD: 0.00001125, gbSecondUSD: 0.000001236, startSeconds: 45 },
      budget: { maxBurstUSDPerHour: 20 },
    },
    schedules: [{ cron: '0 8 * * 1-5', durationMinutes: 600, minReplicas: 20, timezone: 'Europe/Berlin' }],
  },
};
