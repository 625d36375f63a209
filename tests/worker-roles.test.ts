import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env';
import { BACKGROUND_ROLES } from '../workers/background-worker';
import { BACKGROUND_TASK_QUEUE, TASK_QUEUES } from '../workers/task-queues';
import { selectedRoles, WORKER_ROLES } from '../workers/worker-roles';

const env = { MASTER_KEY: randomBytes(32).toString('base64') };
const byRoleOrder = (a: string, b: string) => WORKER_ROLES.indexOf(a as never) - WORKER_ROLES.indexOf(b as never);

describe('worker roles (WORKER_ROLES)', () => {
  it('has a task queue per role: the send path, campaigns and imports their own, the other roles one shared', () => {
    expect([...WORKER_ROLES].sort()).toEqual(Object.keys(TASK_QUEUES).sort());
    expect(new Set(Object.values(TASK_QUEUES))).toEqual(
      new Set(['massivesms-campaigns', 'massivesms-imports', 'massivesms-messaging', BACKGROUND_TASK_QUEUE]),
    );
    expect(WORKER_ROLES.filter((role) => TASK_QUEUES[role] === BACKGROUND_TASK_QUEUE)).toEqual([...BACKGROUND_ROLES].sort(byRoleOrder));
  });

  it('runs every role by default, the send path only where a carrier is configured', () => {
    expect(loadConfig(env).WORKER_ROLES).toEqual([]);
    expect(selectedRoles([], { messaging: true, usage: true, billing: true })).toEqual(WORKER_ROLES);
    expect(selectedRoles([], { messaging: false, usage: false, billing: false })).toEqual(
      WORKER_ROLES.filter((r) => r !== 'messaging' && r !== 'usage' && r !== 'billing'),
    );
  });

  it('runs only the listed roles, in the order of the task queues', () => {
    const listed = loadConfig({ ...env, WORKER_ROLES: ' campaigns, messaging ,' }).WORKER_ROLES;
    expect(listed).toEqual(['campaigns', 'messaging']);
    expect(selectedRoles(listed, { messaging: true, usage: false, billing: true })).toEqual(['campaigns', 'messaging']);
  });

  it('runs the roles that share a queue together: listing one background role runs the others (usage and billing where configured)', () => {
    expect(selectedRoles(['imports', 'lifecycle'], { messaging: false, usage: false, billing: false })).toEqual([
      'imports',
      'dsr',
      'lifecycle',
      'notices',
      'maintenance',
      'webhooks',
    ]);
    expect(selectedRoles(['dsr'], { messaging: true, usage: true, billing: true })).toEqual([
      'dsr',
      'lifecycle',
      'notices',
      'maintenance',
      'webhooks',
      'usage',
      'billing',
    ]);
    expect(selectedRoles(['messaging'], { messaging: true, usage: true, billing: true })).toEqual(['messaging']);
  });

  it('refuses an unknown role by name, and the send path without a carrier', () => {
    expect(() => loadConfig({ ...env, WORKER_ROLES: 'messaging,mesaging' })).toThrow(
      /^Invalid configuration: WORKER_ROLES: must be a comma-separated list of worker roles \(campaigns, imports, messaging, dsr, lifecycle, notices, maintenance, webhooks, usage, billing\)$/,
    );
    expect(() => selectedRoles(['messaging'], { messaging: false, usage: true, billing: true })).toThrow(
      /WORKER_ROLES lists messaging, but no carrier is configured/,
    );
    expect(() => selectedRoles(['usage'], { messaging: true, usage: false, billing: true })).toThrow(
      /WORKER_ROLES lists usage, but no Stripe meter is configured/,
    );
    expect(() => selectedRoles(['billing'], { messaging: true, usage: false, billing: false })).toThrow(
      /WORKER_ROLES lists billing, but Stripe is not configured/,
    );
  });
});
