/**
 * Spillway's public API: the pure decision core and the BurstScaler resource, for tools that want to
 * reuse them.
 */
export type * from './core/types.ts';
export type * from './ports.ts';
