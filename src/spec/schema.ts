/**
 * The BurstScaler resource (`spillway.io/v1alpha1`): one JSON Schema, written with TypeBox, is the single
 * source for the CRD's `openAPIV3Schema` (src/spec/crd.ts), the TypeScript types (`Static<>` below), the
 * runtime validation (src/spec/validate.ts, Ajv) and the reference documentation.
 *
 * Rules the schema keeps so that it is a Kubernetes *structural* schema when emitted into the CRD:
 * every node has a `type`; no `$ref`, `const`, `anyOf`/`oneOf`, `patternProperties` or `uniqueItems`;
 * maps are `additionalProperties: {type: string}` without `properties`; objects never carry
 * `additionalProperties: false` (the API server prunes unknown fields; Spillway's own validation adds
 * the strictness, see src/spec/validate.ts); bounds are inclusive (`minimum`/`maximum`), because
 * OpenAPI 3.0's boolean `exclusiveMinimum` differs from JSON Schema's numeric one.
 *
 * Defaults live in {@link SPEC_DEFAULTS}, which the schema's `default` keywords and the compile step
 * (src/spec/compile.ts) both read, so the API server's defaulting and Spillway's agree.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { defaultBehavior } from '../core/behavior.ts';
import { listPriceCost } from '../core/cost-model.ts';
import { BURST_HISTORY_MAX, MAX_LEVEL_STEPS } from '../core/forecast.ts';
import { CONDITION_ORDER } from '../core/status.ts';
import type {
  Behavior,
  ConditionType,
  PlacementMode,
  ScalerStatus,
  ScalingRules,
  TriggerType,
} from '../core/types.ts';

// ---------------------------------------------------------------------------------------------
// Enumerations shared with src/core/types.ts (checked exhaustive at compile time).
// ---------------------------------------------------------------------------------------------

/**
 * Every trigger type a spec may list, in the order the reference documentation lists them. The
 * `pending-pods` source is configured by `spec.pendingPods`, not as a trigger.
 */
export const TRIGGER_TYPES = [
  'azure-storage-queue',
  'azure-service-bus',
  'redis-list',
  'redis-stream',
  'rabbitmq',
  'prometheus',
  'cpu',
  'memory',
  'cron',
] as const satisfies readonly TriggerType[];

/** Every condition type the controller writes into `status.conditions`, in the order it writes them. */
export const CONDITION_TYPES = CONDITION_ORDER;

const PLACEMENT_MODES = ['none', 'bridge', 'spill'] as const satisfies readonly PlacementMode[];

// A missing member would make one of these `false` and fail the type check.
const _allTriggerTypes: [Exclude<TriggerType, 'pending-pods' | (typeof TRIGGER_TYPES)[number]>] extends [
  never,
]
  ? true
  : false = true;
const _allConditionTypes: [Exclude<ConditionType, (typeof CONDITION_TYPES)[number]>] extends [never]
  ? true
  : false = true;
const _allModes: [Exclude<PlacementMode, (typeof PLACEMENT_MODES)[number]>] extends [never] ? true : false =
  true;

// ---------------------------------------------------------------------------------------------
// Defaults: one place, read by the schema (`default`) and by compilePolicy.
// ---------------------------------------------------------------------------------------------

/** autoscaling/v2 `HPAScalingRules` defaults (Kubernetes API defaults), from the core's behavior model. */
const { scaleUp: SCALE_UP_DEFAULTS, scaleDown: SCALE_DOWN_DEFAULTS } = defaultBehavior();

/**
 * The default of every optional BurstScaler field. Treat as read-only: compilePolicy copies from it.
 */
export const SPEC_DEFAULTS = {
  targetRef: {
    /** @default 'apps/v1' */
    apiVersion: 'apps/v1',
    /** @default 'Deployment' */
    kind: 'Deployment',
  },
  /** @default 1 (as the HPA) */
  minReplicas: 1,
  pendingPods: {
    /** @default true */
    enabled: true,
    /** @default 20 */
    graceSeconds: 20,
  },
  /** The autoscaling/v2 API defaults. */
  behavior: { scaleUp: SCALE_UP_DEFAULTS, scaleDown: SCALE_DOWN_DEFAULTS } satisfies Behavior,
  trigger: {
    /** @default 'Secret' */
    authenticationKind: 'Secret' as 'Secret' | 'WorkloadIdentity',
  },
  burst: {
    /** @default 'aci' */
    provider: 'aci' as const,
    /** @default 100 */
    maxBurstReplicas: 100,
    aci: {
      /** @default 'Regular' */
      priority: 'Regular' as 'Regular' | 'Spot',
      /** @default true */
      spotFallbackToRegular: true,
    },
    drain: {
      /** @default 30 — Kubernetes' default terminationGracePeriodSeconds */
      gracePeriodSeconds: 30,
      /** @default 60 */
      minBurstLifetimeSeconds: 60,
      /** @default 0 */
      scaleDownStabilizationSeconds: 0,
    },
  },
  /** A Standard_D4s_v5 node and ACI Linux, at East US list prices. */
  cost: listPriceCost(),
  schedule: {
    /** @default 'UTC' */
    timezone: 'UTC',
  },
};

// ---------------------------------------------------------------------------------------------
// Patterns, with the sentence error messages show instead of the regular expression.
// They use only syntax that ECMAScript (Ajv) and RE2 (the API server) read the same way.
// ---------------------------------------------------------------------------------------------

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const GUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const RESOURCE_GROUP = '^[-\\w.()]*[-\\w()]$';
const REGION = '^[a-z0-9]+$';

/** Human wording of each pattern, for error messages. */
export const PATTERN_HINTS: Record<string, string> = {
  [DNS_LABEL]: 'lowercase letters, digits and "-", starting and ending with a letter or digit',
  [DNS_SUBDOMAIN]: 'a Kubernetes object name: lowercase letters, digits, "-" and "."',
  [GUID]: 'a GUID such as 00000000-0000-0000-0000-000000000000',
  [RESOURCE_GROUP]: 'letters, digits, "-", "_", ".", "(" and ")", not ending with "."',
  [REGION]: 'an Azure region name such as eastus (lowercase, no spaces)',
};

const INT32_MAX = 2147483647;

// ---------------------------------------------------------------------------------------------
// Small builders that keep every node structural.
// ---------------------------------------------------------------------------------------------

interface FieldOptions {
  description: string;
  default?: unknown;
  [keyword: string]: unknown;
}

/** A string enumeration as `{type: string, enum}` (TypeBox's unions would emit `anyOf` of `const`s). */
function StringEnum<const V extends readonly string[]>(values: V, options: FieldOptions) {
  const schema: TSchema = { type: 'string', enum: [...values], ...options };
  return Type.Unsafe<V[number]>(schema);
}

/** A map of strings as `{type: object, additionalProperties: {type: string}}`. */
function StringMap(options: FieldOptions) {
  const schema: TSchema = { type: 'object', additionalProperties: { type: 'string' }, ...options };
  return Type.Unsafe<Record<string, string>>(schema);
}

/** A non-negative 32-bit integer. */
function Count(options: FieldOptions & { minimum?: number; maximum?: number }) {
  return Type.Integer({ minimum: 0, maximum: INT32_MAX, ...options });
}

// ---------------------------------------------------------------------------------------------
// spec
// ---------------------------------------------------------------------------------------------

const TargetRefSchema = Type.Object(
  {
    apiVersion: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'API version of the target workload.',
        default: SPEC_DEFAULTS.targetRef.apiVersion,
      }),
    ),
    kind: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Kind of the target workload. It must have a scale subresource and a pod template that ACI replicas are built from.',
        default: SPEC_DEFAULTS.targetRef.kind,
      }),
    ),
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
      description: 'Name of the target workload, in the BurstScaler’s namespace.',
    }),
  },
  { description: 'The workload Spillway scales (like the HPA’s scaleTargetRef).' },
);

const AuthenticationRefSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      description:
        'With kind Secret: the name of a Secret in the BurstScaler’s namespace whose keys the trigger reads (for example a connection string). With kind WorkloadIdentity: the client ID of the managed identity to use.',
    }),
    kind: Type.Optional(
      StringEnum(['Secret', 'WorkloadIdentity'], {
        description:
          'How the trigger authenticates: with values from a Secret, or with Azure workload identity (no secret stored in the cluster).',
        default: SPEC_DEFAULTS.trigger.authenticationKind,
      }),
    ),
  },
  { description: 'Credentials for the trigger’s source. Values are never logged or written to status.' },
);

const TriggerSchema = Type.Object(
  {
    type: StringEnum(TRIGGER_TYPES, {
      description:
        'The demand signal source. Queue sources (azure-storage-queue, azure-service-bus, redis-list, redis-stream, rabbitmq) and prometheus are External metrics; cpu and memory are Resource metrics of the target’s pods; cron holds a replica count during a time window.',
    }),
    name: Type.Optional(
      Type.String({
        maxLength: 63,
        pattern: DNS_LABEL,
        description:
          'Stable name of the trigger, used in metrics, events and `spillway explain`. Unique within the BurstScaler. Defaults to `metadata.name` if set (as in KEDA), else `<type>-<index>` (for example `prometheus-1`).',
      }),
    ),
    metadata: Type.Optional(
      StringMap({
        description:
          'Source settings as strings (the KEDA convention, for example `queueName`, `serverAddress`, `query`), plus the target: `targetPerReplica` (replicas = ceil(value / targetPerReplica); KEDA aliases `queueLength` for queue sources, `messageCount` for azure-service-bus, `listLength` for redis-list, `threshold` for prometheus) or `targetValue` (replicas scale so that the value approaches it). cpu and memory take `metricType` (or `type`) Utilization or AverageValue with `value`. See "Trigger targets" in the reference.',
        default: {},
      }),
    ),
    authenticationRef: Type.Optional(AuthenticationRefSchema),
  },
  { description: 'One demand signal.' },
);

const PendingPodsSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        description:
          'Count the target’s Pending pods that the scheduler could not place as demand not yet served, so that it is covered on ACI.',
        default: SPEC_DEFAULTS.pendingPods.enabled,
      }),
    ),
    graceSeconds: Type.Optional(
      Count({
        maximum: 3600,
        description:
          'How long a pod must have been unschedulable before it counts, so that pods the scheduler places within a few seconds do not cause a burst.',
        default: SPEC_DEFAULTS.pendingPods.graceSeconds,
      }),
    ),
  },
  { description: 'Pending pods as a demand signal.', default: {} },
);

const ScalingPolicySchema = Type.Object(
  {
    type: StringEnum(['Pods', 'Percent'], {
      description:
        'Pods: change by at most `value` pods; Percent: by at most `value` percent of the current replicas.',
    }),
    value: Type.Integer({
      minimum: 1,
      maximum: INT32_MAX,
      description: 'The amount of change the policy allows; greater than zero.',
    }),
    periodSeconds: Type.Integer({
      minimum: 1,
      maximum: 1800,
      description: 'The window over which the change is counted, 1 to 1800 seconds.',
    }),
  },
  { description: 'One autoscaling/v2 HPAScalingPolicy.' },
);

function ScalingRulesSchema(direction: 'up' | 'down', defaults: ScalingRules) {
  return Type.Object(
    {
      stabilizationWindowSeconds: Type.Optional(
        Count({
          maximum: 3600,
          description:
            direction === 'up'
              ? 'Past recommendations considered when scaling up: the lowest in the window wins, so a short spike does not scale up. 0 to 3600 seconds.'
              : 'Past recommendations considered when scaling down: the highest in the window wins, so replicas are not removed while demand flaps. 0 to 3600 seconds.',
          default: defaults.stabilizationWindowSeconds,
        }),
      ),
      selectPolicy: Type.Optional(
        StringEnum(['Max', 'Min', 'Disabled'], {
          description:
            'Which policy applies when several do: Max allows the biggest change, Min the smallest, Disabled turns scaling in this direction off.',
          default: defaults.selectPolicy,
        }),
      ),
      policies: Type.Optional(
        Type.Array(ScalingPolicySchema, {
          minItems: 1,
          description: `Rate limits on ${direction === 'up' ? 'adding' : 'removing'} replicas.`,
          default: defaults.policies,
          'x-kubernetes-list-type': 'atomic',
        }),
      ),
      tolerance: Type.Optional(
        Type.Number({
          minimum: 0,
          description:
            'Relative distance from the target within which no scaling happens (0.1 = 10 %), as the HPA’s per-direction tolerance. A plain number, for example 0.05.',
          default: defaults.tolerance,
        }),
      ),
    },
    {
      description: `Scale-${direction} rules (autoscaling/v2 HPAScalingRules).`,
      default: {},
    },
  );
}

const BehaviorSchema = Type.Object(
  {
    scaleUp: Type.Optional(ScalingRulesSchema('up', SCALE_UP_DEFAULTS)),
    scaleDown: Type.Optional(ScalingRulesSchema('down', SCALE_DOWN_DEFAULTS)),
  },
  {
    description:
      'Scaling behavior, exactly the autoscaling/v2 HorizontalPodAutoscalerBehavior API with its defaults, applied to the total replicas (VM + ACI).',
    default: {},
  },
);

const FallbackSchema = Type.Object(
  {
    failureThreshold: Type.Integer({
      minimum: 1,
      maximum: INT32_MAX,
      description: 'Consecutive failed reads of a trigger before the fallback applies.',
    }),
    replicas: Count({
      description:
        'Replicas to run while a trigger keeps failing; between minReplicas and maxReplicas. Spillway never scales in on missing data.',
    }),
  },
  {
    description:
      'What to run when signals cannot be read (KEDA’s fallback). Without it, the last replicas are kept.',
  },
);

const AciSchema = Type.Object(
  {
    subscriptionId: Type.String({
      pattern: GUID,
      description: 'Azure subscription ID where ACI container groups are created.',
    }),
    resourceGroup: Type.String({
      minLength: 1,
      maxLength: 90,
      pattern: RESOURCE_GROUP,
      description:
        'Resource group for the container groups. Spillway owns the groups it tags, nothing else in it.',
    }),
    regions: Type.Array(
      Type.String({ minLength: 1, maxLength: 64, pattern: REGION, description: 'An Azure region name.' }),
      {
        minItems: 1,
        maxItems: 16,
        description:
          'Regions in failover order: the first is preferred; capacity and quota errors move to the next. Unique.',
        'x-kubernetes-list-type': 'set',
      },
    ),
    subnetId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description:
          'Resource ID of a subnet delegated to Microsoft.ContainerInstance/containerGroups, so that ACI replicas get private IPs in the cluster’s virtual network. Not available with priority Spot. Unset: container groups run outside any virtual network, which suits workers that pull their work (queues).',
      }),
    ),
    priority: Type.Optional(
      StringEnum(['Regular', 'Spot'], {
        description:
          'Regular, or Spot for interruption-tolerant work (cheaper, may be evicted, no virtual network).',
        default: SPEC_DEFAULTS.burst.aci.priority,
      }),
    ),
    spotFallbackToRegular: Type.Optional(
      Type.Boolean({
        description: 'With priority Spot: create Regular groups when Spot capacity is not available.',
        default: SPEC_DEFAULTS.burst.aci.spotFallbackToRegular,
      }),
    ),
  },
  { description: 'Where and how ACI container groups are created.' },
);

const DrainSchema = Type.Object(
  {
    gracePeriodSeconds: Type.Optional(
      Count({
        maximum: 86400,
        description:
          'Seconds between taking an ACI replica out of the Service’s endpoints and deleting its container group, so in-flight work finishes.',
        default: SPEC_DEFAULTS.burst.drain.gracePeriodSeconds,
      }),
    ),
    minBurstLifetimeSeconds: Type.Optional(
      Count({
        maximum: 86400,
        description:
          'An ACI replica runs at least this long before it may be drained, so replicas are not created and removed in flapping load.',
        default: SPEC_DEFAULTS.burst.drain.minBurstLifetimeSeconds,
      }),
    ),
    scaleDownStabilizationSeconds: Type.Optional(
      Count({
        maximum: 3600,
        description:
          'Scale-down stabilization window for ACI replicas: an ACI replica is let go once the metrics have not asked ' +
          'for it for this long, instead of after spec.behavior.scaleDown.stabilizationWindowSeconds (the smaller of ' +
          'the two applies). ACI bills per second and a drained replica that still runs is resumed if demand returns, ' +
          'so holding idle ACI replicas for the HPA’s 5 minutes only costs money; the desired count and VM pods on ' +
          'running nodes keep the behavior’s window, and no new node is bought for replicas only it holds. Set it to ' +
          'the behavior’s window to make ACI follow the HPA exactly.',
        default: SPEC_DEFAULTS.burst.drain.scaleDownStabilizationSeconds,
      }),
    ),
  },
  { description: 'How ACI replicas are removed.', default: {} },
);

const ServiceLevelSchema = Type.Object(
  {
    maxQueueWaitSeconds: Count({
      minimum: 1,
      maximum: 86400,
      description:
        'The longest a message should wait in the queue, in seconds. Longer than spec.cost.aci.startSeconds.',
    }),
    messagesPerSecondPerReplica: Type.Number({
      minimum: 0,
      description:
        'Messages one replica serves per second (0.5 = a message every 2 s); greater than zero. Measure it on one replica under load.',
    }),
  },
  {
    description:
      'Size ACI replicas by the wait a message may have instead of by the queue triggers’ targetPerReplica, where that ' +
      'needs fewer: an ACI replica that serves after its start time s (measured on the ACI groups once three are Ready, ' +
      'spec.cost.aci.startSeconds until then) can take messagesPerSecondPerReplica × (maxQueueWaitSeconds − s) queued ' +
      'messages and still meet the wait. The desired count and VM pods on running nodes keep the triggers’ targets; ' +
      'replicas only those targets ask for run neither on ACI nor on new nodes. ' +
      'Needs a queue trigger with targetPerReplica. Unset: ACI follows the triggers’ targets.',
  },
);

const EndpointSliceSchema = Type.Object(
  {
    serviceName: Type.String({
      maxLength: 63,
      pattern: DNS_LABEL,
      description: 'The Service, in the BurstScaler’s namespace, whose traffic ACI replicas also serve.',
    }),
  },
  {
    description:
      'Publish Ready ACI replicas in an EndpointSlice of this Service (label kubernetes.io/service-name). Needs burst.aci.subnetId. Unset: ACI replicas receive no Service traffic.',
  },
);

const BurstSchema = Type.Object(
  {
    provider: Type.Optional(
      StringEnum(['aci'], {
        description: 'The burst provider. Azure Container Instances is the only one.',
        default: SPEC_DEFAULTS.burst.provider,
      }),
    ),
    aci: AciSchema,
    maxBurstReplicas: Type.Optional(
      Count({
        description: 'The most replicas that run on ACI at once (0 turns bursting off).',
        default: SPEC_DEFAULTS.burst.maxBurstReplicas,
      }),
    ),
    drain: Type.Optional(DrainSchema),
    serviceLevel: Type.Optional(ServiceLevelSchema),
    endpointSlice: Type.Optional(EndpointSliceSchema),
  },
  { description: 'Overflow replicas on Azure Container Instances.' },
);

const VmCostSchema = Type.Object(
  {
    nodeHourlyUSD: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'List price of one VM node per hour, in USD (default: Standard_D4s_v5, East US).',
        default: SPEC_DEFAULTS.cost.vm.nodeHourlyUSD,
      }),
    ),
    discountPercent: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description: 'Reserved-instance, savings-plan or Spot discount on the node price, in percent.',
        default: SPEC_DEFAULTS.cost.vm.discountPercent,
      }),
    ),
    nodeVCPU: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'vCPUs of one node; greater than zero.',
        default: SPEC_DEFAULTS.cost.vm.nodeVCPU,
      }),
    ),
    nodeMemoryGiB: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Memory of one node in GiB; greater than zero.',
        default: SPEC_DEFAULTS.cost.vm.nodeMemoryGiB,
      }),
    ),
    reservedPercent: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 99,
        description: 'Share of a node that system reservations and daemonsets take, in percent.',
        default: SPEC_DEFAULTS.cost.vm.reservedPercent,
      }),
    ),
    provisionSeconds: Type.Optional(
      Count({
        description: 'Seconds from pods pending to a new node Ready (the cluster autoscaler plus VM boot).',
        default: SPEC_DEFAULTS.cost.vm.provisionSeconds,
      }),
    ),
    minNodeLifetimeSeconds: Type.Optional(
      Count({
        description:
          'A node that is added is paid at least this long (the cluster autoscaler’s scale-down-unneeded time plus a scan).',
        default: SPEC_DEFAULTS.cost.vm.minNodeLifetimeSeconds,
      }),
    ),
    packingPercent: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: 100,
        description:
          'Share of a new node’s replica slots that this workload fills over the node’s life, in percent. Scale-in ' +
          'leaves added nodes partly used until the cluster autoscaler removes them (below 50 % for 10 minutes), so ' +
          'bridging prices a new node per replica at node price ÷ (slots × this). The default is what the simulator ' +
          'measures for a fluctuating queue workload (docs/benchmarks.md); use 100 for steady load.',
        default: SPEC_DEFAULTS.cost.vm.packingPercent,
      }),
    ),
  },
  { description: 'What VM capacity costs.', default: {} },
);

const AciCostSchema = Type.Object(
  {
    vcpuSecondUSD: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'ACI price per vCPU-second, in USD (default: Linux, East US list price).',
        default: SPEC_DEFAULTS.cost.aci.vcpuSecondUSD,
      }),
    ),
    gbSecondUSD: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'ACI price per GB-second of memory, in USD.',
        default: SPEC_DEFAULTS.cost.aci.gbSecondUSD,
      }),
    ),
    startSeconds: Type.Optional(
      Count({
        description: 'Seconds from a create request to a Ready ACI replica; billing starts at image pull.',
        default: SPEC_DEFAULTS.cost.aci.startSeconds,
      }),
    ),
    spotPriceRatio: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'Spot price as a share of the Regular price (0.3 = 30 %).',
        default: SPEC_DEFAULTS.cost.aci.spotPriceRatio,
      }),
    ),
  },
  {
    description:
      'What ACI costs. Used when the Azure Retail Prices API cannot be read; Spillway prefers live prices.',
    default: {},
  },
);

const BudgetSchema = Type.Object(
  {
    maxBurstUSDPerHour: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'Cap on the ACI spend rate in USD per hour; no new ACI replica is created above it and the BudgetExhausted condition says so. Unset: no cap.',
      }),
    ),
  },
  { description: 'Spending limits.', default: {} },
);

const CostSchema = Type.Object(
  {
    vm: Type.Optional(VmCostSchema),
    aci: Type.Optional(AciCostSchema),
    budget: Type.Optional(BudgetSchema),
  },
  {
    description: 'Inputs of the cost model that chooses between VM and ACI, and the budget.',
    default: {},
  },
);

const ScheduleSchema = Type.Object(
  {
    cron: Type.String({
      minLength: 1,
      maxLength: 256,
      description:
        'When the window starts, in node-cron syntax: five fields (minute hour day-of-month month day-of-week) or six with seconds first, for example `0 8 * * 1-5`.',
    }),
    durationMinutes: Type.Integer({
      minimum: 1,
      maximum: 527040,
      description: 'How long the window lasts after each start, in minutes.',
    }),
    minReplicas: Count({
      description: 'The replica floor while the window is open; at most maxReplicas.',
    }),
    timezone: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'IANA time zone the cron expression is read in, for example Europe/Berlin.',
        default: SPEC_DEFAULTS.schedule.timezone,
      }),
    ),
  },
  { description: 'A replica floor during a recurring window.' },
);

/** The BurstScaler `spec` schema. */
export const BurstScalerSpecSchema = Type.Object(
  {
    targetRef: TargetRefSchema,
    minReplicas: Type.Optional(
      Count({
        description:
          'The fewest replicas (VM + ACI) to run. 0 allows scaling to zero when no trigger reports demand.',
        default: SPEC_DEFAULTS.minReplicas,
      }),
    ),
    maxReplicas: Type.Integer({
      minimum: 1,
      maximum: INT32_MAX,
      description: 'The most replicas (VM + ACI) to run; at least minReplicas.',
    }),
    triggers: Type.Optional(
      Type.Array(TriggerSchema, {
        maxItems: 32,
        description:
          'Demand signals. Each gives a replica count; the largest wins, as with the HPA and KEDA. At least one trigger, pendingPods or a schedule is required.',
        default: [],
        'x-kubernetes-list-type': 'atomic',
      }),
    ),
    pendingPods: Type.Optional(PendingPodsSchema),
    behavior: Type.Optional(BehaviorSchema),
    fallback: Type.Optional(FallbackSchema),
    burst: BurstSchema,
    cost: Type.Optional(CostSchema),
    schedules: Type.Optional(
      Type.Array(ScheduleSchema, {
        maxItems: 32,
        description: 'Replica floors during recurring windows, to pre-warm before known peaks.',
        default: [],
        'x-kubernetes-list-type': 'atomic',
      }),
    ),
  },
  {
    description:
      'What to scale, on which signals, within which bounds, and how overflow runs on Azure Container Instances.',
  },
);

// ---------------------------------------------------------------------------------------------
// status (written by the controller through the status subresource)
// ---------------------------------------------------------------------------------------------

const ConditionSchema = Type.Object(
  {
    type: StringEnum(CONDITION_TYPES, { description: 'The aspect this condition reports.' }),
    status: StringEnum(['True', 'False', 'Unknown'], { description: 'Whether the condition holds.' }),
    reason: Type.Optional(
      Type.String({ maxLength: 1024, description: 'A CamelCase machine reason, for example QuotaExceeded.' }),
    ),
    message: Type.Optional(Type.String({ maxLength: 32768, description: 'A sentence a person can act on.' })),
    lastTransitionTime: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the status last changed.' }),
    ),
  },
  { description: 'One condition.' },
);

/** The BurstScaler `status` schema (the fields of `ScalerStatus` in src/core/types.ts). */
export const BurstScalerStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({ minimum: 0, description: 'The metadata.generation the controller last acted on.' }),
    ),
    desiredReplicas: Type.Optional(Count({ description: 'Replicas wanted in total (VM + ACI).' })),
    vmReplicas: Type.Optional(Count({ description: 'Replicas placed on the cluster’s VM nodes.' })),
    aciReplicas: Type.Optional(Count({ description: 'Replicas running as ACI container groups.' })),
    pendingReplicas: Type.Optional(Count({ description: 'Target pods the scheduler could not place.' })),
    mode: Type.Optional(
      StringEnum(PLACEMENT_MODES, {
        description:
          'Placement mode: none (everything fits on VMs), bridge (ACI covers while new VMs boot) or spill (overflow stays on ACI).',
      }),
    ),
    costUSDPerHour: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Estimated spend rate of this workload (VM share + ACI), USD per hour.',
      }),
    ),
    lastDecision: Type.Optional(
      Type.Object(
        {
          at: Type.String({ format: 'date-time', description: 'When the decision was made.' }),
          summary: Type.String({ description: 'One line summing up the decision.' }),
          reasons: Type.Array(Type.String({ description: 'One reason.' }), {
            description: 'Why, step by step.',
            'x-kubernetes-list-type': 'atomic',
          }),
          cost: Type.Optional(
            Type.Array(Type.String({ description: 'One line of arithmetic.' }), {
              description:
                'The cost model behind the placement: unit prices, the burst forecast and the bridge-or-spill comparison (`spillway explain` prints it).',
              'x-kubernetes-list-type': 'atomic',
            }),
          ),
        },
        { description: 'The latest decision and its reasons.' },
      ),
    ),
    forecast: Type.Optional(
      Type.Object(
        {
          at: Type.String({ format: 'date-time', description: 'When this memory was taken.' }),
          bursts: Type.Array(
            Type.Object(
              {
                startedAt: Type.String({
                  format: 'date-time',
                  description: 'When demand went above VM capacity.',
                }),
                endedAt: Type.Optional(
                  Type.String({
                    format: 'date-time',
                    description: 'When it fell back; none while under way.',
                  }),
                ),
                baselineReplicas: Type.Optional(
                  Type.Integer({
                    minimum: 0,
                    description:
                      'VM capacity (replicas) when the burst began; it ends when demand falls back to it.',
                  }),
                ),
              },
              { description: 'One burst.' },
            ),
            {
              maxItems: BURST_HISTORY_MAX + 1,
              description:
                'The last ended bursts (demand above VM capacity), oldest first, then the burst under way (no endedAt).',
              'x-kubernetes-list-type': 'atomic',
            },
          ),
          levels: Type.Array(
            Type.Object(
              {
                upTo: Type.Integer({ minimum: 1, description: 'The highest replica count of this step.' }),
                since: Type.String({
                  format: 'date-time',
                  description: 'Needed without a break since then.',
                }),
              },
              { description: 'One step of demand levels.' },
            ),
            {
              maxItems: MAX_LEVEL_STEPS,
              description: 'Replicas 1..upTo have been needed without a break since `since`.',
              'x-kubernetes-list-type': 'atomic',
            },
          ),
          aciStart: Type.Optional(
            Type.Object(
              {
                seconds: Type.Number({
                  minimum: 0.1,
                  description: 'Median seconds from create to Ready (to 0.1 s).',
                }),
                groups: Type.Integer({ minimum: 1, description: 'ACI groups it was measured on.' }),
              },
              {
                description:
                  'The last measured ACI start, used by spec.burst.serviceLevel until three groups are Ready again (docs/cost-model.md "Service level").',
              },
            ),
          ),
        },
        {
          description:
            'What the burst forecaster remembers, and the measured ACI start, so that a restarted or new leader goes on from them (docs/forecast.md).',
        },
      ),
    ),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, {
        description: 'Ready, Active, Bursting, Degraded, BudgetExhausted, Burstable and Fallback.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
  },
  { description: 'What Spillway observed and decided.' },
);

/** A BurstScaler `spec` as written by a user: optional fields may be missing. */
export type BurstScalerSpec = Static<typeof BurstScalerSpecSchema>;
/** A BurstScaler `status`. */
export type BurstScalerStatus = Static<typeof BurstScalerStatusSchema>;

// The core's status must fit the schema's (conditions gain lastTransitionTime when written).
const _statusFits = (status: ScalerStatus): BurstScalerStatus => status;

/** API group, version and names of the resource. */
export const BURST_SCALER_API = {
  group: 'spillway.io',
  version: 'v1alpha1',
  kind: 'BurstScaler',
  listKind: 'BurstScalerList',
  plural: 'burstscalers',
  singular: 'burstscaler',
  shortNames: ['bs'],
} as const;
