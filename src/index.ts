/**
 * Spillway's public API: the pure decision core and the BurstScaler resource, for tools that want to
 * reuse them.
 */
export type * from './core/types.ts';
export type * from './ports.ts';

// The BurstScaler resource: schema, compiled policy, errors and the generated CRD.
export { compilePolicy, BURST_SCALER_API_VERSION } from './spec/compile.ts';
export { SpecValidationError, isSpecValidationError, type SpecIssue } from './spec/errors.ts';
export {
  BurstScalerSpecSchema,
  BurstScalerStatusSchema,
  BURST_SCALER_API,
  SPEC_DEFAULTS,
  type BurstScalerSpec,
  type BurstScalerStatus,
} from './spec/schema.ts';
export { burstScalerCrd, renderCrdYaml, CRD_NAME } from './spec/crd.ts';

// HPA-compatible recommendation (autoscaling/v2 semantics, see docs/hpa-compatibility.md): `recommend` is the
// whole step; the calculator and behavior helpers are exported for tools that want one part of it.
export { recommend, RecommendInputError } from './core/recommend.ts';
export {
  calculateMetricReplicas,
  groupPods,
  isWithinTolerance,
  HPA_DEFAULTS,
  type MetricProposal,
  type CalculatorContext,
  type PodGroups,
  type Tolerances,
} from './core/replica-calculator.ts';
export {
  defaultBehavior,
  normalizeWithBehavior,
  stabilizeRecommendation,
  applyRateLimits,
  scaleUpLimit,
  scaleDownLimit,
  type Limited,
  type LimitReason,
} from './core/behavior.ts';

// The decision (DESIGN.md §3): `decide` is the whole tick; the cost model and forecaster are exported for
// tools that want to price a template or explain a choice (docs/cost-model.md, docs/forecast.md,
// docs/adr/0001-placement-bridge-or-spill.md).
export { decide, metricInputs } from './core/decide.ts';
export {
  aciBilledResources,
  unitCosts,
  computedSlotsPerNode,
  chooseOverflow,
  overflowOptionCost,
  breakEvenSeconds,
  burstReplicaHourUSD,
  type AciBilled,
  type UnitCosts,
  type OverflowChoice,
  type OverflowOption,
  type OverflowTimes,
} from './core/cost-model.ts';
export { forecastRemainingBurst, type Forecast } from './core/forecast.ts';
