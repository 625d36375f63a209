import type { Pool } from 'pg';
import type { CarrierId } from '../../providers/sms/carrier';

/**
 * A circuit breaker per carrier, kept in Postgres (carrier_health) so every worker and every
 * dispatcher shard sees the same state. Closed: traffic flows. Open: traffic goes straight to the
 * next carrier. After the cool-down one dispatcher wins the probe (half-open) and sends a few
 * messages; a carrier that takes any of them closes the breaker, one that fails them re-opens it.
 */
export interface BreakerSettings {
  /** Consecutive failed calls (transient or ambiguous, no accepted call in between) that open it. */
  failureThreshold: number;
  /** How long an open breaker keeps traffic away before a probe. */
  coolDownMs: number;
  /** Messages a probe may send to a half-open carrier. */
  probeSize: number;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  failureThreshold: 20,
  coolDownMs: 30_000,
  probeSize: 5,
};

/** What a dispatcher may do with a carrier now: use it, avoid it, or send it one probe batch. */
export type CarrierAvailability = 'closed' | 'open' | 'probe';

/**
 * Reads every carrier's state for one dispatcher iteration. An open breaker whose cool-down has
 * passed is taken for probing by exactly one caller (an atomic update that moves the next probe
 * time on), so shards do not all probe a sick carrier at once; a probe that never reports back
 * (its worker died) simply lets the next cool-down start another.
 */
export async function readAvailability(
  pool: Pool,
  carriers: readonly CarrierId[],
  settings: BreakerSettings,
): Promise<Record<CarrierId, CarrierAvailability>> {
  const { rows } = await pool.query<{ carrier: CarrierId; state: string; probe_due: boolean }>(
    `select carrier, state, (next_probe_at is null or next_probe_at <= now()) as probe_due from carrier_health where carrier = any($1::text[])`,
    [carriers],
  );
  const availability = Object.fromEntries(carriers.map((c) => [c, 'closed'])) as Record<CarrierId, CarrierAvailability>;
  for (const row of rows) {
    if (row.state === 'closed') continue;
    availability[row.carrier] = 'open';
    if (!row.probe_due) continue;
    const won = await pool.query(
      `update carrier_health set state = 'half_open', next_probe_at = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
        where carrier = $1 and state <> 'closed' and (next_probe_at is null or next_probe_at <= now())`,
      [row.carrier, settings.coolDownMs],
    );
    if (won.rowCount === 1) availability[row.carrier] = 'probe';
  }
  return availability;
}

/** What one send batch saw from its carrier. */
export interface BatchHealth {
  accepted: number;
  /** Transient or ambiguous calls: the carrier did not clearly take the message. */
  failed: number;
}

/** Any accepted call closes the breaker; failed calls with none accepted count towards opening it. */
export async function recordBatchHealth(pool: Pool, carrier: CarrierId, health: BatchHealth, settings: BreakerSettings): Promise<void> {
  if (health.accepted > 0) {
    await pool.query(
      `update carrier_health set state = 'closed', consecutive_failures = 0, opened_at = null, next_probe_at = null, updated_at = now()
        where carrier = $1 and (state <> 'closed' or consecutive_failures <> 0)`,
      [carrier],
    );
    return;
  }
  if (health.failed === 0) return;
  // A failing probe (half_open) re-opens at once; a closed breaker opens when the count reaches the threshold.
  await pool.query(
    `insert into carrier_health (carrier, state, consecutive_failures, opened_at, next_probe_at, updated_at)
     values ($1, case when $2::int >= $3::int then 'open' else 'closed' end, $2::int,
             case when $2::int >= $3::int then now() end,
             case when $2::int >= $3::int then now() + make_interval(secs => $4::double precision / 1000) end, now())
     on conflict (carrier) do update set
       consecutive_failures = carrier_health.consecutive_failures + excluded.consecutive_failures,
       state = case when carrier_health.state = 'half_open' or carrier_health.consecutive_failures + excluded.consecutive_failures >= $3::int
                    then 'open' else carrier_health.state end,
       opened_at = case when carrier_health.state = 'closed' and carrier_health.consecutive_failures + excluded.consecutive_failures >= $3::int
                        then now() else carrier_health.opened_at end,
       next_probe_at = case when carrier_health.state = 'half_open'
                              or (carrier_health.state = 'closed' and carrier_health.consecutive_failures + excluded.consecutive_failures >= $3::int)
                            then now() + make_interval(secs => $4::double precision / 1000) else carrier_health.next_probe_at end,
       updated_at = now()`,
    [carrier, health.failed, settings.failureThreshold, settings.coolDownMs],
  );
}
