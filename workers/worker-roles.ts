import { TASK_QUEUES } from './task-queues';

/** A worker role is one task queue this process serves (WORKER_ROLES picks some; default all). */
export type WorkerRole = keyof typeof TASK_QUEUES;

export const WORKER_ROLES = Object.keys(TASK_QUEUES) as WorkerRole[];

export function isWorkerRole(name: string): name is WorkerRole {
  return (WORKER_ROLES as string[]).includes(name);
}

/** What a role needs configured before a process may serve it; the other roles need nothing. */
export interface RoleRequirements {
  /** A carrier (TELNYX_API_KEY or TWILIO_ACCOUNT_SID): the send path. */
  messaging: boolean;
  /** Stripe and its Billing Meter (STRIPE_SECRET_KEY and STRIPE_METER_ID): usage reporting. */
  usage: boolean;
  /** Stripe (STRIPE_SECRET_KEY): customers, dunning. */
  billing: boolean;
}

const MISSING: Record<keyof RoleRequirements, string> = {
  messaging: 'no carrier is configured (TELNYX_API_KEY or TWILIO_ACCOUNT_SID)',
  usage: 'no Stripe meter is configured (STRIPE_SECRET_KEY and STRIPE_METER_ID)',
  billing: 'Stripe is not configured (STRIPE_SECRET_KEY)',
};

const isConditional = (role: WorkerRole): role is keyof RoleRequirements => role in MISSING;

/**
 * The roles a process runs: those WORKER_ROLES lists, or every role when it lists none. With the
 * default, `messaging`, `usage` and `billing` run only where what they need is configured; listed explicitly,
 * they need it. Roles that share a task queue run together: a Worker on a queue takes any of its tasks,
 * so listing one background role runs the others too (usage and billing where configured).
 */
export function selectedRoles(listed: WorkerRole[], configured: RoleRequirements): WorkerRole[] {
  const available = (role: WorkerRole) => !isConditional(role) || configured[role];
  if (listed.length === 0) return WORKER_ROLES.filter(available);
  for (const role of listed) {
    if (isConditional(role) && !configured[role]) throw new Error(`WORKER_ROLES lists ${role}, but ${MISSING[role]}`);
  }
  const queues = new Set(listed.map((role) => TASK_QUEUES[role]));
  return WORKER_ROLES.filter((role) => listed.includes(role) || (queues.has(TASK_QUEUES[role]) && available(role)));
}
