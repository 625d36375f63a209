/**
 * Retention purge of old messages: BENCH_RETENTION_ROWS outbound messages (each with its sealed body
 * in message_bodies and one carrier attempt) of one account, spread evenly over ten months that are
 * all past both the 90-day body retention and the 24-month metadata retention, purged by the
 * production build's `purgeRetentionClass` (dist/) as the app role, as the daily retention run does:
 * first 'messageBodies', then 'messageMetadata' (the messages with their attempts).
 *
 * Same run, twice over the same rows:
 * - `delete_*`: today's batched DELETE (1,000 rows a statement). The rows are loaded while those
 *   months have no partition, so they sit in the `*_default` partitions, which only the row-by-row
 *   purge reaches.
 * - `partition_*`: the months' partitions are made first (`ensure_message_partitions`, as the
 *   owner), the rows land in them, and the purge drops each month whole.
 *
 * Rows are written directly in bulk (server-side INSERT … SELECT over generate_series, 500,000 rows
 * a statement): ids are UUIDv7 of their message's time, as the product makes them. Each phase checks
 * that no row of the account is left and that each purge counted every row. Progress goes to
 * stderr; the last stdout line is one JSON object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import type { IdempotencyStore } from '../services/idempotency/idempotency-store';
import { buildProduct, BUILD_FIELD, REPO_ROOT } from './product-build';

type OrmModule = typeof import('../db/orm');
type RetentionStoreModule = typeof import('../services/retention/retention-store');
type PurgeClass = 'messageBodies' | 'messageMetadata';

const ROWS = Number(process.env.BENCH_RETENTION_ROWS ?? 10_000_000);
const LOAD_CHUNK = 500_000;
const MONTHS = 10;
const PROGRESS_EVERY_MS = 15_000;
const TABLES = ['messages', 'message_bodies', 'message_attempts'] as const;

const log = (msg: string) => process.stderr.write(`[bench:retention] ${msg}\n`);
const secondsSince = (started: number) => (performance.now() - started) / 1000;

/**
 * The ten months loaded: the last one starts 26 months before the current month, so every month
 * ends before the 24-month metadata cutoff (and long before the 90-day body cutoff).
 */
function benchMonths(now: Date): { first: Date; last: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return {
    first: new Date(Date.UTC(y, m - 26 - (MONTHS - 1), 1)),
    last: new Date(Date.UTC(y, m - 26, 1)),
    end: new Date(Date.UTC(y, m - 25, 1)),
  };
}

const monthLabel = (d: Date) => d.toISOString().slice(0, 7);

/**
 * A UUIDv7 in SQL for a time in ms (`ms`, a bigint expression): its 48-bit time prefix, then a
 * random v4 uuid's tail with the version nibble set to 7 (the v4 variant bits are already RFC 4122).
 */
const uuidV7Sql = (ms: string) =>
  `overlay(overlay(replace(gen_random_uuid()::text, '-', '') placing lpad(to_hex(${ms}), 12, '0') from 1 for 12) placing '7' from 13 for 1)::uuid`;

/**
 * Row i (0-based) of ROWS gets the time first + (i + 0.5) · span / ROWS: the months in order, each
 * with its share. One statement writes a chunk's messages, bodies (120 bytes) and attempts.
 */
async function load(owner: Pool, accountId: string, months: { first: Date; end: Date }): Promise<void> {
  const started = performance.now();
  const firstMs = months.first.getTime();
  const spanMs = months.end.getTime() - firstMs;
  for (let from = 0; from < ROWS; from += LOAD_CHUNK) {
    const to = Math.min(ROWS, from + LOAD_CHUNK) - 1;
    await owner.query(
      `with src as (
         select i, ($4::bigint + floor($5::float8 * (i + 0.5) / $6::float8))::bigint as ms
           from generate_series($2::bigint, $3::bigint) i
       ), rows as (
         select i, ${uuidV7Sql('ms')} as id, ${uuidV7Sql('ms')} as attempt_id, to_timestamp(ms / 1000.0) as ts from src
       ), m as (
         insert into messages (id, account_id, direction, kind, recipient_hash, recipient_pii, sender, encoding, segments, status,
                               carrier, carrier_message_id, created_at, sent_at, delivered_at, updated_at)
         select id, $1::uuid, 'outbound', 'api', sha256(int8send(i % 50000)), sha512(int8send(i)) || sha256(int8send(i)),
                '+14155550100', 'GSM-7', 1, 'delivered', 'telnyx', attempt_id::text, ts, ts + interval '1 second',
                ts + interval '4 seconds', ts + interval '4 seconds'
           from rows
       ), b as (
         insert into message_bodies (message_id, account_id, body, created_at)
         select id, $1::uuid, substring(sha512(int8send(i)) || sha512(uuid_send(id)) from 1 for 120), ts from rows
       )
       insert into message_attempts (id, message_id, account_id, carrier, outcome, carrier_message_id, created_at, completed_at)
       select attempt_id, id, $1::uuid, 'telnyx', 'accepted', attempt_id::text, ts, ts + interval '200 milliseconds' from rows`,
      [accountId, from, to, firstMs, spanMs, ROWS],
    );
    log(`loaded ${to + 1} of ${ROWS} (${secondsSince(started).toFixed(0)} s)`);
  }
  // Rows two years old have long been vacuumed (and frozen) in production: the purge starts from that.
  for (const table of TABLES) await owner.query(`vacuum (freeze, analyze) ${table}`);
  await owner.query('checkpoint');
}

/** Rows of the account still in each table, and in its default partition. */
async function remaining(owner: Pool, accountId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await owner.query<{ total: string; in_default: string }>(
      `select (select count(*) from ${table} where account_id = $1) as total,
              (select count(*) from ${table}_default where account_id = $1) as in_default`,
      [accountId],
    );
    counts[table] = Number(rows[0]!.total);
    counts[`${table}_default`] = Number(rows[0]!.in_default);
  }
  return counts;
}

/** The partitions of the bench's months that exist: months of messages and attempts, days of bodies (phase 2 makes them; its purge must drop them all). */
async function benchPartitions(owner: Pool, months: { first: Date; end: Date }): Promise<string[]> {
  const { rows } = await owner.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent::regclass::text = any ($1)
        and ((c.relname ~ '_p[0-9]{6}$' and right(c.relname, 6) >= to_char($2::timestamptz at time zone 'UTC', 'YYYYMM')
                                        and right(c.relname, 6) < to_char($3::timestamptz at time zone 'UTC', 'YYYYMM'))
          or (c.relname ~ '_p[0-9]{8}$' and right(c.relname, 8) >= to_char($2::timestamptz at time zone 'UTC', 'YYYYMMDD')
                                        and right(c.relname, 8) < to_char($3::timestamptz at time zone 'UTC', 'YYYYMMDD')))
      order by 1`,
    [TABLES, months.first, months.end],
  );
  return rows.map((r) => r.name);
}

async function sizeMb(owner: Pool): Promise<number> {
  const { rows } = await owner.query<{ bytes: string }>(
    `select sum(pg_total_relation_size(relid))::bigint as bytes
       from unnest(array['messages', 'message_bodies', 'message_attempts']) t, pg_partition_tree(t::regclass) where isleaf`,
  );
  return Math.round(Number(rows[0]!.bytes) / 1024 / 1024);
}

async function main(): Promise<void> {
  const runStarted = performance.now();
  buildProduct(log);
  // The production build: its migrations, its ORM, its purge.
  const { openOrm, prepareDatabase } = (await import(join(REPO_ROOT, 'dist', 'db', 'orm.js'))) as OrmModule;
  const { purgeRetentionClass } = (await import(
    join(REPO_ROOT, 'dist', 'services', 'retention', 'retention-store.js')
  )) as RetentionStoreModule;

  const ownerUrl = `postgres://postgres@127.0.0.1:5432/massivesms_bench_retention_${randomBytes(3).toString('hex')}`;
  const appUrl = urlAsRole(ownerUrl, DEFAULT_APP_ROLE);
  await prepareDatabase(ownerUrl, appUrl);
  // The schema owner writes the bulk rows, makes the bench's months and vacuums; the purge runs as the app.
  const owner = new Pool({ connectionString: ownerUrl, max: 1 });
  const orm = await openOrm(appUrl, 2);
  try {
    const now = new Date();
    const months = benchMonths(now);
    const accountId = randomUUID();
    await owner.query(`insert into accounts (id, name, created_at, updated_at) values ($1, 'Retention bench', $2, $2)`, [
      accountId,
      months.first,
    ]);
    // Only the idempotencyKeys class uses it.
    const deps = { idempotency: { purgeExpired: () => Promise.resolve(0) } as unknown as IdempotencyStore };
    log(`${ROWS} messages over ${monthLabel(months.first)}..${monthLabel(months.last)}, purged as of ${now.toISOString()}`);

    const purge = async (cls: PurgeClass, phase: string): Promise<{ seconds: number; purged: number }> => {
      const started = performance.now();
      let lastLog = started;
      const purged = await purgeRetentionClass(orm.em.fork(), cls, now, deps, (soFar) => {
        if (performance.now() - lastLog < PROGRESS_EVERY_MS) return;
        lastLog = performance.now();
        log(`${phase} ${cls}: ${soFar} rows in ${secondsSince(started).toFixed(0)} s`);
      });
      const seconds = secondsSince(started);
      log(`${phase} ${cls}: ${purged} rows in ${seconds.toFixed(1)} s`);
      if (purged !== ROWS) throw new Error(`${phase} ${cls} purged ${purged} rows, expected ${ROWS}`);
      return { seconds, purged };
    };

    const phase = async (name: 'delete' | 'partition') => {
      const loadStarted = performance.now();
      await load(owner, accountId, months);
      const loadSeconds = secondsSince(loadStarted);
      const loaded = await remaining(owner, accountId);
      const inDefault = name === 'delete' ? ROWS : 0;
      for (const table of TABLES) {
        if (loaded[table] !== ROWS || loaded[`${table}_default`] !== inDefault) {
          throw new Error(`${name}: after the load ${JSON.stringify(loaded)}, expected ${ROWS} rows a table, ${inDefault} in the defaults`);
        }
      }
      const mb = await sizeMb(owner);
      log(`${name}: loaded in ${loadSeconds.toFixed(1)} s (${mb} MiB in the three tables)`);
      const bodies = await purge('messageBodies', name);
      const metadata = await purge('messageMetadata', name);
      const left = await remaining(owner, accountId);
      if (Object.values(left).some((n) => n !== 0)) throw new Error(`${name}: rows left after the purge: ${JSON.stringify(left)}`);
      const monthTables = await benchPartitions(owner, months);
      if (monthTables.length > 0) throw new Error(`${name}: partitions of the purged months left: ${monthTables.join(', ')}`);
      return { loadSeconds, mb, bodies: bodies.seconds, metadata: metadata.seconds };
    };

    // Phase 1: no partition for those months, every row in the default partitions.
    const del = await phase('delete');

    // Phase 2: the same rows in month partitions made beforehand (the owner, as the deploy and the daily run do).
    for (const table of TABLES) await owner.query(`truncate ${table}`);
    const { rows } = await owner.query<{ skipped: string[] }>('select ensure_message_partitions($1, $2) as skipped', [
      months.first,
      months.last,
    ]);
    if (rows[0]!.skipped.length > 0) throw new Error(`partitions not made: ${rows[0]!.skipped.join(', ')}`);
    const made = await benchPartitions(owner, months);
    const days = Math.round((months.end.getTime() - months.first.getTime()) / 86_400_000);
    if (made.length !== MONTHS * 2 + days) throw new Error(`expected ${MONTHS * 2 + days} partitions, found ${made.length}`);
    const part = await phase('partition');

    const deleteTotal = del.bodies + del.metadata;
    const partitionTotal = part.bodies + part.metadata;
    const s = (x: number) => Number(x.toFixed(2));
    console.log(
      JSON.stringify({
        bench: 'retention',
        ...BUILD_FIELD,
        rows: ROWS,
        months: `${monthLabel(months.first)}..${monthLabel(months.last)}`,
        data_mb: del.mb,
        delete_bodies_s: s(del.bodies),
        delete_metadata_s: s(del.metadata),
        partition_bodies_s: s(part.bodies),
        partition_metadata_s: s(part.metadata),
        delete_total_s: s(deleteTotal),
        partition_total_s: s(partitionTotal),
        speedup: Number((deleteTotal / partitionTotal).toFixed(1)),
        load_s: s(del.loadSeconds + part.loadSeconds),
        wall_s: Math.round(secondsSince(runStarted)),
      }),
    );
  } finally {
    await orm.close();
    await owner.end();
    await dropDatabase(ownerUrl);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
