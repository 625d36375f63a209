import { ApiCaller, sleep } from './bench-kit';
import { drained, percentile, type MessagesBenchPhase } from './messages-phase';

/**
 * Latency at a stated load: messages posted at a constant arrival rate (`fraction` of the
 * saturation phase's `msgs_per_s`) for `seconds`, each request sent at its scheduled instant
 * whatever the earlier ones are doing (open loop), its latency counted from that instant, so a
 * stalled server (or a stalled bench) is charged for every request it delayed, not only the one it
 * held (no coordinated omission). The dispatchers drain meanwhile, as in production.
 */
export function openLoopPhase(options: {
  fraction: number;
  seconds: number;
  field: string;
  /**
   * Overload: a 429 or 503 with Retry-After is the API shedding load (counted, not a failure), and the
   * line reports `shed_fraction` and `p99_admitted_ms` (the accepted requests' p99) instead.
   */
  shedding?: boolean;
}): MessagesBenchPhase {
  const { fraction, seconds, field, shedding = false } = options;
  return {
    name: `open loop at ${fraction * 100} %`,
    async run(ctx) {
      const saturation = ctx.measured.msgs_per_s;
      if (typeof saturation !== 'number' || ctx.measured.p99_accept_ms === null) return {}; // --outbox: no API path measured
      const rate = saturation * fraction;
      const count = Math.max(1, Math.round(rate * seconds));
      const intervalMs = 1000 / rate;
      // Enough sockets that a slow answer never holds back the next scheduled request.
      const http = new ApiCaller(ctx.apiBaseUrl, 1024);
      ctx.log(`open loop: ${count} messages at ${rate.toFixed(0)}/s (${fraction * 100} % of ${saturation} msg/s) for ${seconds} s`);
      const latencies = new Array<number>(count);
      const shed = new Array<boolean>(count).fill(false);
      const firstRecipient = ctx.messageIds.length; // recipients after the earlier phases'
      const inFlight: Promise<void>[] = [];
      let failure: Error | undefined;
      const started = performance.now();
      const send = async (i: number, scheduledAt: number) => {
        const res = await http.call('POST', '/v1/messages', ctx.auth, {
          to: ctx.numberFor(firstRecipient + i),
          from: ctx.from,
          body: `open loop ${i}`,
        });
        latencies[i] = performance.now() - scheduledAt;
        if (shedding && (res.status === 429 || res.status === 503) && Number(res.headers['retry-after']) > 0) {
          shed[i] = true;
          return;
        }
        if (res.status !== 202) throw new Error(`POST /v1/messages answered ${res.status}: ${JSON.stringify(res.json)}`);
        ctx.messageIds.push(res.json.id!);
      };
      try {
        let next = 0;
        while (next < count) {
          const now = performance.now();
          for (; next < count && started + next * intervalMs <= now; next++)
            inFlight.push(
              send(next, started + next * intervalMs).catch(
                (err: unknown) => void (failure ??= err instanceof Error ? err : new Error(String(err))),
              ),
            );
          if (next < count) await sleep(Math.max(0, started + next * intervalMs - performance.now()));
        }
        await Promise.all(inFlight);
        if (failure !== undefined) throw failure;
      } finally {
        http.destroy();
      }
      const sendSeconds = (performance.now() - started) / 1000;
      await drained(ctx, started);
      const admitted = latencies.filter((_, i) => !shed[i]);
      const sorted = admitted.sort((a, b) => a - b);
      ctx.log(
        `open loop accept latency ms (from the scheduled instant): p50 ${percentile(sorted, 50).toFixed(1)}, p90 ${percentile(sorted, 90).toFixed(1)}, p99 ${percentile(sorted, 99).toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)}; ${count} posted in ${sendSeconds.toFixed(1)} s`,
      );
      const p99 = Number(percentile(sorted, 99).toFixed(1));
      if (!shedding) return { [`${field}_per_s`]: Math.round(rate), [`p99_accept_ms_at_${field}`]: p99 };
      const shedCount = count - admitted.length;
      ctx.log(`${field}: ${shedCount} of ${count} shed (429/503 with Retry-After)`);
      return { [`${field}_per_s`]: Math.round(rate), shed_fraction: Number((shedCount / count).toFixed(3)), p99_admitted_ms: p99 };
    },
  };
}
