import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env';
import { TASK_QUEUES } from '../workers/task-queues';
import { selectedRoles, WORKER_ROLES } from '../workers/worker-roles';

const env = { MASTER_KEY: randomBytes(32).toString('base64') };

describe('worker roles (WORKER_ROLES)', () => {
  it('has one role per task queue', () => {
    expect([...WORKER_ROLES].sort()).toEqual(Object.keys(TASK_QUEUES).sort());
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
    expect(selectedRoles(['imports', 'lifecycle'], { messaging: false, usage: false, billing: false })).toEqual(['imports', 'lifecycle']);
  });

  it('refuses an unknown role by name, and the send path without a carrier', () => {
    expect(() => loadConfig({ ...env, WORKER_ROLES: 'messaging,mesaging' })).toThrow(
      /^Invalid configuration: WORKER_ROLES: must be a comma-separated list of worker roles \(campaigns, dsr, imports, maintenance, messaging, notices, webhooks, lifecycle, usage, billing\)$/,
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
