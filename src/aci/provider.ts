/**
 * The ACI burst provider: creates, lists, drains and deletes burst replicas as container groups.
 *
 * - Idempotent: a create first looks the name up and adopts a group this scaler already owns (after
 *   a restart, or a create whose response was lost); a delete of a missing group succeeds.
 * - Ownership: every group carries ownership tags from the PUT that creates it; nothing is tagged,
 *   drained or deleted unless its tags prove this cluster's Spillway owns it.
 * - Failover: quota and capacity errors move on to the next region, and Spot falls back to Regular
 *   in the same region when the request allows it; other errors stop the create.
 * - Pacing: token buckets per region under ACI's write limits, and a hold after ARM's Retry-After.
 *
 * Works over any {@link AciApi}: the Azure SDK (production, and the simulated ACI over HTTP) or the
 * simulator's in-process model.
 */
export type { AciLogFn } from './log.ts';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { BurstReplica, BurstState, Resources, ScalerKey } from '../core/types.ts';
import type {
  BurstabilityCheck,
  BurstProvider,
  Clock,
  CreateBurstRequest,
  OwnedBurstReplica,
} from '../ports.ts';
import { createAzureAciApi, type AciApi, type AzureConnection, type CreateWait } from './api.ts';
import {
  InvalidSpecError,
  NameConflictError,
  NotOwnedError,
  RegionsExhaustedError,
  ThrottledError,
  isOperationFailure,
  mapAciError,
  type AciErrorContext,
  type CreateAttempt,
} from './errors.ts';
import { noLog, type AciLogFn } from './log.ts';
import { DEFAULT_ACI_WRITE_LIMITS, WritePacer, validateLimits, type RateLimit } from './pacing.ts';
import { TAG, ownedByCluster, ownedByScaler, ownershipTags, readOwnership } from './tags.ts';
import {
  billedResources,
  buildContainerGroup,
  checkBurstable,
  compileTranslationOptions,
  resolveTemplateValues,
  spotRestriction,
  templateOs,
  type CompiledTranslationOptions,
  type TranslationOptions,
} from './translate.ts';

/** Settings shared by every way of reaching ACI. */
export interface AciProviderSettings {
  /** This cluster's id, written into ownership tags and required on every group touched. */
  clusterId: string;
  clock: Clock;
  log?: AciLogFn;
  /** Create limits per region. @default 100 per 5 minutes and 300 per hour ({@link DEFAULT_ACI_WRITE_LIMITS}) */
  createLimits?: readonly RateLimit[];
  /** Delete limits per region. @default the same as creates */
  deleteLimits?: readonly RateLimit[];
  /**
   * How long a create or delete may wait for a pacing token before giving up with a local
   * {@link ThrottledError} (a create then tries the next region). @default 0 — never block the caller
   */
  maxPaceWaitMs?: number;
  /**
   * 'accepted': a create returns as soon as Azure accepted the group (state Pending; failures such as an
   * inaccessible image then show on the replica as state Failed with a failureReason). 'provisioned':
   * it waits for provisioning to end and throws typed errors for failures. @default 'accepted'
   */
  waitFor?: CreateWait;
  /** How long one resource-group listing serves list()/listOwned() calls. @default 2000 ms */
  listCacheMs?: number;
  translation?: TranslationOptions;
}

/** Options of {@link AciBurstProvider}: the settings plus an Azure connection or a ready API. */
export type AciBurstProviderOptions = AciProviderSettings & (AzureConnection | { api: AciApi });

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GET_CONCURRENCY = 8;

function toMillis(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** State of a group as the decision core sees it. */
export function burstState(group: ContainerGroup): BurstState {
  const provisioning = group.provisioningState;
  const instance = group.instanceView?.state;
  if (provisioning === 'Failed' || provisioning === 'Canceled' || provisioning === 'Unhealthy')
    return 'Failed';
  if (provisioning === 'Deleting') return 'Stopped';
  if (instance === 'Stopped' || instance === 'Succeeded' || instance === 'Terminated') return 'Stopped';
  if (instance === 'Failed') return 'Failed';
  if (provisioning === 'Succeeded') return 'Running';
  if (
    provisioning === undefined ||
    ['Accepted', 'Pending', 'Creating', 'Updating', 'Repairing'].includes(provisioning)
  )
    return 'Pending';
  return 'Unknown';
}

/** A short machine reason for a failed or failing group (e.g. InaccessibleImage), from its instance view. */
export function failureReason(group: ContainerGroup): string | undefined {
  for (const container of group.containers) {
    const view = container.instanceView;
    const events = view?.events ?? [];
    const failed = [...events].reverse().find((e) => e.name === 'Failed' || e.type === 'Warning');
    if (failed && /pull|image/i.test(`${failed.message ?? ''}`)) return 'InaccessibleImage';
    const current = view?.currentState;
    if (current?.detailStatus === 'CrashLoopBackOff') return 'CrashLoopBackOff';
    if (current?.state === 'Terminated' && current.exitCode !== undefined && current.exitCode !== 0)
      return `ContainerExited(${current.exitCode})`;
    if (failed) return failed.name === 'Failed' ? 'ContainerFailed' : (failed.name ?? 'Warning');
  }
  return burstState(group) === 'Failed' ? 'ProvisioningFailed' : undefined;
}

/** ARM region name of a group ("East US" and "eastus" both give eastus). */
function regionOf(group: ContainerGroup): string {
  return (group.location ?? '').toLowerCase().replace(/\s+/g, '');
}

function groupResources(group: ContainerGroup): Resources {
  let cpu = 0;
  let memoryGiB = 0;
  for (const c of group.containers) {
    cpu += c.resources.requests.cpu;
    memoryGiB += c.resources.requests.memoryInGB;
  }
  return { cpu: Number(cpu.toFixed(2)), memoryGiB: Number(memoryGiB.toFixed(1)) };
}

/** Containers running, and each readiness probe's initial delay elapsed. */
function readiness(group: ContainerGroup, now: number): { ready: boolean; readyAt?: number } {
  if (burstState(group) !== 'Running') return { ready: false };
  let readyAt = 0;
  for (const c of group.containers) {
    const current = c.instanceView?.currentState;
    if (current === undefined) return { ready: false };
    if (current.state !== 'Running') return { ready: false };
    const started = toMillis(current.startTime) ?? 0;
    readyAt = Math.max(readyAt, started + (c.readinessProbe?.initialDelaySeconds ?? 0) * 1000);
  }
  return readyAt <= now ? { ready: true, readyAt } : { ready: false };
}

/** The replica a group represents; undefined when its tags do not prove Spillway ownership. */
export function toReplica(
  group: ContainerGroup,
  now: number,
  knownFailure?: string,
): OwnedBurstReplica | undefined {
  const own = readOwnership(group.tags);
  if (!own || !group.name) return undefined;
  const state = burstState(group);
  const { ready, readyAt } = readiness(group, now);
  const resources = groupResources(group);
  const reason = state === 'Failed' ? (knownFailure ?? failureReason(group)) : failureReason(group);
  const ip = group.ipAddress?.type === 'Private' ? group.ipAddress.ip : undefined;
  return {
    name: group.name,
    index: own.index,
    region: regionOf(group),
    priority: group.priority === 'Spot' ? 'Spot' : 'Regular',
    state,
    ready,
    createdAt: own.createdAt,
    templateHash: own.templateHash,
    cpu: resources.cpu,
    memoryGiB: resources.memoryGiB,
    owner: own.owner,
    ...(readyAt === undefined ? {} : { readyAt }),
    ...(own.drainingSince === undefined ? {} : { drainingSince: own.drainingSince }),
    ...(ip ? { privateIp: ip } : {}),
    ...(reason ? { failureReason: reason } : {}),
  };
}

/**
 * What is known of a group Azure has accepted but not yet reported on: its request, minus anything
 * secret (env values, registry passwords, volume files), in state Pending.
 */
function acceptedView(name: string, group: ContainerGroup): ContainerGroup {
  return {
    name,
    location: group.location,
    tags: group.tags,
    osType: group.osType,
    priority: group.priority,
    provisioningState: 'Pending',
    containers: group.containers.map((c) => ({
      name: c.name,
      image: c.image,
      resources: c.resources,
      ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
    })),
    ...(group.ipAddress ? { ipAddress: group.ipAddress } : {}),
  };
}

function withoutOwner(replica: OwnedBurstReplica): BurstReplica {
  const { owner: _owner, ...rest } = replica;
  return rest;
}

/** A group's replica as last computed, with the failure it was computed with (see replicaMemo). */
interface ReplicaMemo {
  failure: string | undefined;
  replica: OwnedBurstReplica | undefined;
  listed?: BurstReplica;
}

/** {@link BurstProvider} on Azure Container Instances. */
export class AciBurstProvider implements BurstProvider {
  private readonly api: AciApi;
  private readonly clusterId: string;
  private readonly clock: Clock;
  private readonly log: AciLogFn;
  private readonly createPacer: WritePacer;
  private readonly deletePacer: WritePacer;
  private readonly maxPaceWaitMs: number;
  private readonly waitFor: CreateWait;
  private readonly listCacheMs: number;
  private readonly translation: CompiledTranslationOptions;
  private cache: { at: number; groups: Map<string, ContainerGroup> } | undefined;
  private listing: Promise<Map<string, ContainerGroup>> | undefined;
  private readonly inFlight = new Map<string, Promise<BurstReplica>>();
  /** Failure codes of long-running operations this process saw end Failed, by group name. */
  private readonly failures = new Map<string, string>();

  constructor(options: AciBurstProviderOptions) {
    if (!options.clusterId) throw new RangeError('clusterId: required (it is written into ownership tags)');
    const createLimits = options.createLimits ?? DEFAULT_ACI_WRITE_LIMITS;
    const deleteLimits = options.deleteLimits ?? createLimits;
    validateLimits('createLimits', createLimits);
    validateLimits('deleteLimits', deleteLimits);
    const maxPaceWaitMs = options.maxPaceWaitMs ?? 0;
    if (!(maxPaceWaitMs >= 0)) throw new RangeError(`maxPaceWaitMs: must be ≥ 0, got ${maxPaceWaitMs}`);
    const listCacheMs = options.listCacheMs ?? 2000;
    if (!(listCacheMs >= 0)) throw new RangeError(`listCacheMs: must be ≥ 0, got ${listCacheMs}`);
    this.api = 'api' in options ? options.api : createAzureAciApi(options);
    this.clusterId = options.clusterId;
    this.clock = options.clock;
    this.log = options.log ?? noLog;
    this.createPacer = new WritePacer(createLimits, options.clock);
    this.deletePacer = new WritePacer(deleteLimits, options.clock);
    this.maxPaceWaitMs = maxPaceWaitMs;
    this.waitFor = options.waitFor ?? 'accepted';
    this.listCacheMs = listCacheMs;
    this.translation = compileTranslationOptions(options.translation);
  }

  // -------------------------------------------------------------------------------------------
  // Reads
  // -------------------------------------------------------------------------------------------

  private async groups(): Promise<Map<string, ContainerGroup>> {
    const now = this.clock.now();
    if (this.cache && now - this.cache.at < this.listCacheMs) return this.cache.groups;
    this.listing ??= this.fetchGroups().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  private async fetchGroups(): Promise<Map<string, ContainerGroup>> {
    let listed: ContainerGroup[];
    try {
      listed = await this.api.list();
    } catch (error) {
      throw mapAciError(error, { operation: `listing container groups in ${this.api.resourceGroup}` });
    }
    const ours = listed.filter((g) => ownedByCluster(g.tags, this.clusterId));
    // A listing may omit instance views; read those groups one by one (bounded) to see readiness.
    const incomplete = ours.filter((g) => g.instanceView === undefined && burstState(g) === 'Running');
    for (let i = 0; i < incomplete.length; i += GET_CONCURRENCY) {
      await Promise.all(
        incomplete.slice(i, i + GET_CONCURRENCY).map(async (g) => {
          const full = await this.api.get(g.name!).catch(() => undefined);
          if (full) ours[ours.indexOf(g)] = full;
        }),
      );
    }
    const groups = new Map(ours.filter((g) => g.name).map((g) => [g.name!, g]));
    this.cache = { at: this.clock.now(), groups };
    return groups;
  }

  private remember(group: ContainerGroup): void {
    if (group.name) this.cache?.groups.set(group.name, group);
  }

  private forget(name: string): void {
    this.cache?.groups.delete(name);
  }

  /**
   * The replica of each group object seen, while nothing can change it: the same object (a listing is
   * reused while no group changed), the same known failure, and a readiness time cannot change — ready
   * stays ready, and a group not Running is not ready whatever the time. A Running group still in its
   * readiness probe's initial delay is recomputed each time.
   */
  private readonly replicas = new WeakMap<ContainerGroup, ReplicaMemo>();

  private replicaMemo(group: ContainerGroup): ReplicaMemo {
    const failure = group.name ? this.failures.get(group.name) : undefined;
    const known = this.replicas.get(group);
    if (known && known.failure === failure) return known;
    const replica = toReplica(group, this.clock.now(), failure);
    const memo = { failure, replica };
    if (!(replica?.state === 'Running' && !replica.ready)) this.replicas.set(group, memo);
    return memo;
  }

  private replicaOf(group: ContainerGroup): OwnedBurstReplica | undefined {
    return this.replicaMemo(group).replica;
  }

  async list(scaler: ScalerKey): Promise<BurstReplica[]> {
    const groups = await this.groups();
    const out: BurstReplica[] = [];
    for (const group of groups.values()) {
      if (!ownedByScaler(group.tags, this.clusterId, scaler)) continue;
      const memo = this.replicaMemo(group);
      // The executor copies what it changes, so the listed replica can be handed out again.
      if (memo.replica) out.push((memo.listed ??= withoutOwner(memo.replica)));
    }
    return out.sort((a, b) => a.index - b.index);
  }

  async listOwned(): Promise<OwnedBurstReplica[]> {
    const groups = await this.groups();
    const out: OwnedBurstReplica[] = [];
    for (const group of groups.values()) {
      const replica = this.replicaOf(group);
      if (replica) out.push(replica);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  checkBurstable(template: V1PodTemplateSpec): BurstabilityCheck {
    return checkBurstable(template, this.translation);
  }

  billedResources(template: V1PodTemplateSpec): Resources {
    return billedResources(template, this.translation);
  }

  async quota(
    region: string,
  ): Promise<{ region: string; limitCores: number; usedCores: number } | undefined> {
    try {
      const usages = await this.api.listUsage(region);
      const cores = usages.find((u) => u.name?.value === 'StandardCores');
      if (cores?.limit === undefined || cores.currentValue === undefined) return undefined;
      return { region, limitCores: cores.limit, usedCores: cores.currentValue };
    } catch (error) {
      const mapped = mapAciError(error, { operation: `reading ACI quota in ${region}`, region });
      this.log('warn', 'could not read ACI quota', { region, error: mapped.message });
      return undefined;
    }
  }

  /** The tail of a container's log (the first container when none is named). */
  async logs(name: string, options: { container?: string; tail?: number } = {}): Promise<string> {
    const context: AciErrorContext = { operation: 'reading logs of', groupName: name };
    let group: ContainerGroup | undefined;
    try {
      group = await this.api.get(name);
    } catch (error) {
      throw mapAciError(error, context);
    }
    if (!group || !ownedByCluster(group.tags, this.clusterId))
      throw new NotOwnedError(
        `reading logs of container group ${name}: not a group this Spillway cluster owns`,
        {
          code: 'SpillwayNotOwned',
          context,
        },
      );
    const container = options.container ?? group.containers[0]?.name ?? '';
    try {
      return await this.api.logs(name, container, options.tail);
    } catch (error) {
      throw mapAciError(error, context);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Writes
  // -------------------------------------------------------------------------------------------

  async create(request: CreateBurstRequest): Promise<BurstReplica> {
    const running = this.inFlight.get(request.name);
    if (running) return running;
    const work = this.createOnce(request).finally(() => this.inFlight.delete(request.name));
    this.inFlight.set(request.name, work);
    return work;
  }

  private validateRequest(request: CreateBurstRequest): void {
    const context: AciErrorContext = { operation: 'creating', groupName: request.name };
    const invalid = (message: string): InvalidSpecError =>
      new InvalidSpecError(`creating container group ${request.name}: ${message}`, {
        code: 'SpillwayInvalidRequest',
        context,
      });
    if (!NAME_PATTERN.test(request.name) || request.name.includes('--'))
      throw invalid('name: must be 1–63 lowercase letters, digits and single hyphens (use burstGroupName)');
    if (request.regions.length === 0) throw invalid('regions: at least one region is required');
    if (!Number.isInteger(request.index) || request.index < 0)
      throw invalid(`index: must be a whole number ≥ 0, got ${request.index}`);
    if (!request.templateHash)
      throw invalid('templateHash: required (it is written into the ownership tags)');
  }

  private async createOnce(request: CreateBurstRequest): Promise<BurstReplica> {
    this.validateRequest(request);
    const { name, scaler } = request;
    const context: AciErrorContext = { operation: 'creating', groupName: name };

    const existing = await this.api.get(name).catch((error: unknown) => {
      throw mapAciError(error, context);
    });
    if (existing) {
      if (!ownedByScaler(existing.tags, this.clusterId, scaler))
        throw new NameConflictError(
          `creating container group ${name}: a group with this name exists in ${this.api.resourceGroup} but its tags say it is not this scaler's (${scaler.namespace}/${scaler.name}); it is left alone`,
          { code: 'SpillwayNameConflict', context },
        );
      this.remember(existing);
      this.log('info', 'adopted existing container group', {
        group: name,
        scaler: `${scaler.namespace}/${scaler.name}`,
      });
      return withoutOwner(this.replicaOf(existing)!);
    }

    const check = checkBurstable(request.template, this.translation);
    if (!check.ok)
      throw new InvalidSpecError(
        `creating container group ${name}: the pod template is not burstable: ${check.reasons.join('; ')}`,
        { code: 'SpillwayNotBurstable', context },
      );

    const priorities = this.priorities(request);
    const values = await resolveTemplateValues(request.template, scaler.namespace, request.values);
    const attempts: CreateAttempt[] = [];
    const regionsPacedOut = new Set<string>();

    for (const region of request.regions) {
      for (const priority of priorities) {
        if (regionsPacedOut.has(region)) continue;
        const held = this.createPacer.heldFor();
        if (held > 0) throw this.heldError(name, region, held);
        const paced = await this.pace(this.createPacer, region);
        if (paced > 0) {
          regionsPacedOut.add(region);
          attempts.push({ region, priority, error: this.localThrottle('creating', name, region, paced) });
          continue;
        }
        const tags = ownershipTags({
          clusterId: this.clusterId,
          scaler,
          templateHash: request.templateHash,
          index: request.index,
          createdAt: this.clock.now(),
        });
        const built = buildContainerGroup({
          template: request.template,
          groupName: name,
          namespace: scaler.namespace,
          region,
          priority,
          ...(request.subnetId ? { subnetId: request.subnetId } : {}),
          tags,
          values,
          options: this.translation,
        });
        try {
          const result = await this.api.createOrUpdate(name, built.group, this.waitFor);
          const group: ContainerGroup = result ?? acceptedView(name, built.group);
          this.failures.delete(name);
          this.remember(group);
          this.log('info', 'created container group', {
            group: name,
            region,
            priority,
            cpu: built.resources.cpu,
            memoryGiB: built.resources.memoryGiB,
            scaler: `${scaler.namespace}/${scaler.name}`,
            ...(attempts.length
              ? { after: attempts.map((a) => `${a.region}/${a.priority}: ${a.error.reason}`) }
              : {}),
          });
          return withoutOwner(this.replicaOf(group)!);
        } catch (error) {
          const mapped = mapAciError(
            error,
            { operation: 'creating', groupName: name, region, priority },
            built.secrets,
          );
          if (mapped instanceof ThrottledError && mapped.source === 'azure') {
            this.holdWrites(mapped.retryAfterMs);
            this.log('warn', 'Azure throttled a create; holding writes', {
              group: name,
              retryAfterMs: mapped.retryAfterMs,
            });
            throw mapped;
          }
          if (isOperationFailure(error)) this.failures.set(name, mapped.code);
          if (!mapped.failover) {
            this.log('warn', 'create failed', {
              group: name,
              region,
              priority,
              reason: mapped.reason,
              error: mapped.message,
            });
            throw mapped;
          }
          attempts.push({ region, priority, error: mapped });
          this.log('warn', 'create failed, trying the next option', {
            group: name,
            region,
            priority,
            reason: mapped.reason,
            error: mapped.message,
          });
          await this.removeFailedAttempt(name, scaler);
        }
      }
    }
    throw new RegionsExhaustedError(name, attempts);
  }

  /** Priorities to try in each region, in order. */
  private priorities(request: CreateBurstRequest): ('Regular' | 'Spot')[] {
    if (request.priority !== 'Spot') return ['Regular'];
    const restriction = spotRestriction(
      billedResources(request.template, this.translation),
      request.subnetId,
      templateOs(request.template),
    );
    if (!restriction) return request.spotFallbackToRegular ? ['Spot', 'Regular'] : ['Spot'];
    if (request.spotFallbackToRegular) {
      this.log('info', 'Spot not possible for this group, using Regular', {
        group: request.name,
        why: restriction,
      });
      return ['Regular'];
    }
    throw new InvalidSpecError(`creating container group ${request.name}: ${restriction}`, {
      code: 'SpillwaySpotNotPossible',
      context: { operation: 'creating', groupName: request.name, priority: 'Spot' },
    });
  }

  /**
   * After a failed attempt, make sure no group of that name is left (a long-running operation that
   * failed leaves one in state Failed), so the next region can use the name.
   */
  private async removeFailedAttempt(name: string, scaler: ScalerKey): Promise<void> {
    const left = await this.api.get(name).catch(() => undefined);
    if (!left) return;
    if (!ownedByScaler(left.tags, this.clusterId, scaler)) return;
    await this.api.delete(name).catch((error: unknown) => {
      const mapped = mapAciError(error, { operation: 'deleting', groupName: name });
      this.log('warn', 'could not remove a failed attempt; it stays listed as Failed', {
        group: name,
        error: mapped.message,
      });
    });
    this.forget(name);
  }

  /** ARM throttles writes per subscription: hold creates, deletes and tag updates alike. */
  private holdWrites(ms: number): void {
    this.createPacer.hold(ms);
    this.deletePacer.hold(ms);
  }

  /** 0 when a token was taken (after waiting up to maxPaceWaitMs), else the wait still needed. */
  private async pace(pacer: WritePacer, region: string): Promise<number> {
    let wait = pacer.tryTake(region);
    if (wait > 0 && wait <= this.maxPaceWaitMs) {
      await this.clock.sleep(wait);
      wait = pacer.tryTake(region);
    }
    return wait;
  }

  private localThrottle(operation: string, name: string, region: string, waitMs: number): ThrottledError {
    return new ThrottledError(
      `${operation} container group ${name}: paced — ACI write limit for ${region} reached, next slot in ${Math.ceil(waitMs / 1000)} s`,
      {
        code: 'SpillwayPaced',
        context: { operation, groupName: name, region },
        retryAfterMs: waitMs,
        source: 'local',
      },
    );
  }

  private heldError(name: string, region: string, heldMs: number): ThrottledError {
    return new ThrottledError(
      `creating container group ${name}: holding writes for ${Math.ceil(heldMs / 1000)} s more, as Azure's Retry-After asked`,
      {
        code: 'SpillwayHeld',
        context: { operation: 'creating', groupName: name, region },
        retryAfterMs: heldMs,
        source: 'azure',
      },
    );
  }

  /** Loads a group and proves this cluster owns it; undefined when it does not exist. */
  private async ownedGroup(name: string, operation: string): Promise<ContainerGroup | undefined> {
    const context: AciErrorContext = { operation, groupName: name };
    const group = await this.api.get(name).catch((error: unknown) => {
      throw mapAciError(error, context);
    });
    if (!group) return undefined;
    if (!ownedByCluster(group.tags, this.clusterId)) {
      this.log('warn', `refused: ${operation} a group Spillway does not own`, { group: name });
      throw new NotOwnedError(
        `${operation} container group ${name}: its tags do not prove that this Spillway cluster (${this.clusterId}) owns it; it is left alone`,
        { code: 'SpillwayNotOwned', context },
      );
    }
    return group;
  }

  async markDraining(name: string, since: number): Promise<void> {
    const done = await this.writeDrainTag(name, (tags) =>
      tags[TAG.drainingSince] ? undefined : { ...tags, [TAG.drainingSince]: new Date(since).toISOString() },
    );
    if (done) this.log('info', 'drain started', { group: name, since: new Date(since).toISOString() });
  }

  async resumeDraining(name: string): Promise<void> {
    const done = await this.writeDrainTag(name, (tags) => {
      if (!tags[TAG.drainingSince]) return undefined;
      const { [TAG.drainingSince]: _removed, ...rest } = tags;
      return rest;
    });
    if (done) this.log('info', 'drain ended: the group serves again', { group: name });
  }

  /**
   * Rewrites an owned group's tags with `change` (undefined: nothing to change, e.g. the drain already
   * started, so its start time is kept). True when a write was made. A group that is gone is forgotten.
   */
  private async writeDrainTag(
    name: string,
    change: (tags: Record<string, string>) => Record<string, string> | undefined,
  ): Promise<boolean> {
    const group = await this.ownedGroup(name, 'tagging');
    if (!group) {
      this.forget(name);
      return false;
    }
    const tags = change(group.tags ?? {});
    if (!tags) {
      this.remember(group);
      return false;
    }
    const held = this.createPacer.heldFor();
    if (held > 0)
      throw new ThrottledError(
        `tagging container group ${name}: holding writes for ${Math.ceil(held / 1000)} s more, as Azure's Retry-After asked`,
        {
          code: 'SpillwayHeld',
          context: { operation: 'tagging', groupName: name },
          retryAfterMs: held,
          source: 'azure',
        },
      );
    try {
      await this.api.updateTags(name, tags);
    } catch (error) {
      const mapped = mapAciError(error, { operation: 'tagging', groupName: name });
      if (mapped instanceof ThrottledError) this.holdWrites(mapped.retryAfterMs);
      throw mapped;
    }
    this.remember({ ...group, tags });
    return true;
  }

  createBudget(region: string): { region: string; available: number; capacity: number } {
    return { region, ...this.createPacer.budget(region) };
  }

  async delete(name: string): Promise<void> {
    const group = await this.ownedGroup(name, 'deleting');
    if (!group) {
      this.forget(name);
      this.log('debug', 'delete: group already gone', { group: name });
      return;
    }
    const region = regionOf(group);
    const held = this.deletePacer.heldFor();
    if (held > 0)
      throw new ThrottledError(
        `deleting container group ${name}: holding writes for ${Math.ceil(held / 1000)} s more, as Azure's Retry-After asked`,
        {
          code: 'SpillwayHeld',
          context: { operation: 'deleting', groupName: name, region },
          retryAfterMs: held,
          source: 'azure',
        },
      );
    const paced = await this.pace(this.deletePacer, region);
    if (paced > 0) throw this.localThrottle('deleting', name, region, paced);
    try {
      await this.api.delete(name);
    } catch (error) {
      const mapped = mapAciError(error, { operation: 'deleting', groupName: name, region });
      if (mapped instanceof ThrottledError) this.holdWrites(mapped.retryAfterMs);
      throw mapped;
    }
    this.forget(name);
    this.failures.delete(name);
    this.log('info', 'deleted container group', { group: name, region });
  }
}
