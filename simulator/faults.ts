import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CarrierVendor, Fault, FaultOp, FaultPlan, FaultVendor, Latency } from './types';

const vendor = z.enum(['telnyx', 'twilio']);
const ruleVendor = z.enum(['telnyx', 'twilio', 'stripe']);
const status = z.number().int().min(400).max(599);
const latency = z.union([
  z.number().int().min(0).max(120_000),
  z.tuple([z.number().int().min(0).max(120_000), z.number().int().min(0).max(120_000)]),
]);

const faultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('status'), status }),
  z.object({
    kind: z.literal('error'),
    status,
    code: z.union([z.string().min(1).max(20), z.number().int()]),
    title: z.string().max(200).optional(),
  }),
  z.object({ kind: z.literal('ambiguous'), mode: z.enum(['timeout', 'reset']), callback: z.boolean().default(true) }),
  z.object({ kind: z.literal('reset_before') }),
  z.object({ kind: z.literal('undelivered'), code: z.union([z.string().min(1).max(20), z.number().int()]).optional() }),
]);

export const faultPlanSchema = z
  .object({
    seed: z.number().int().optional(),
    rules: z
      .array(
        z
          .object({
            vendor: ruleVendor,
            op: z.enum(['send', 'fetch', 'list', 'numbers', 'meter_events']).default('send'),
            rate: z.number().min(0).max(1),
            to: z.string().min(1).max(40).optional(),
            fault: faultSchema,
          })
          .strict(),
      )
      .max(100)
      .default([]),
    latencyMs: z.object({ telnyx: latency.optional(), twilio: latency.optional() }).strict().default({}),
    outages: z
      .array(
        z
          .object({
            vendor,
            startInMs: z.number().int().min(0).max(86_400_000),
            durationMs: z.number().int().min(1).max(86_400_000),
            mode: z.enum(['refuse', 'status503']).default('refuse'),
          })
          .strict(),
      )
      .max(20)
      .default([]),
    callbacks: z
      .object({
        mode: z.enum(['all', 'final', 'none']).default('all'),
        delayMs: z
          .tuple([z.number().int().min(0).max(600_000), z.number().int().min(0).max(600_000)])
          .refine(([min, max]) => min <= max, 'delayMs must be [min, max]')
          .default([20, 200]),
        outcome: z.enum(['delivered', 'failed']).default('delivered'),
        concurrency: z.number().int().min(1).max(256).default(16),
      })
      .strict()
      .default({ mode: 'all', delayMs: [20, 200], outcome: 'delivered', concurrency: 16 }),
  })
  .strict();

export function defaultPlan(seed: number): FaultPlan {
  return { ...faultPlanSchema.parse({}), seed };
}

/** Parses a posted plan; the simulator's seed applies when the plan names none. */
export function parseFaultPlan(input: unknown, defaultSeed: number): { plan: FaultPlan } | { error: string } {
  const parsed = faultPlanSchema.safeParse(input);
  if (!parsed.success) return { error: z.prettifyError(parsed.error) };
  return { plan: { ...parsed.data, seed: parsed.data.seed ?? defaultSeed } };
}

/** A uniform draw in [0, 1) fixed by its inputs, so the same attempt meets the same fate in any arrival order. */
export function draw(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 0x1_0000_0000;
}

export interface FaultRequest {
  vendor: FaultVendor;
  op: FaultOp;
  to: string | null;
  /** The attempt id from the callback URL, else the raw body or the resource id. */
  key: string;
}

/** The first rule that matches the request and whose seeded draw falls under its rate. */
export function decideFault(plan: FaultPlan, request: FaultRequest): Fault | null {
  for (let index = 0; index < plan.rules.length; index++) {
    const rule = plan.rules[index]!;
    if (rule.vendor !== request.vendor || (rule.op ?? 'send') !== request.op) continue;
    if (rule.to !== undefined && rule.to !== request.to) continue;
    if (rule.rate >= 1 || draw(plan.seed, index, request.vendor, request.op, request.key) < rule.rate) return rule.fault;
  }
  return null;
}

export function latencyFor(plan: FaultPlan, vendor: CarrierVendor, key: string): number {
  const value: Latency | undefined = plan.latencyMs[vendor];
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const [min, max] = value;
  return min + Math.floor(draw(plan.seed, 'latency', vendor, key) * (max - min + 1));
}

export function callbackDelay(plan: FaultPlan, key: string): number {
  const [min, max] = plan.callbacks.delayMs;
  return min + Math.floor(draw(plan.seed, 'callback', key) * (max - min + 1));
}
