import { insertQueuedMessages } from '../tests/support/outbox';
import { drained, percentile, type MessagesBenchPhase } from './messages-phase';

/**
 * Saturation: `messages` one-off messages posted by `clients` closed-loop clients (or, `viaOutbox`,
 * written straight into the outbox), timed until the dispatchers have sent them all: `msgs_per_s`,
 * and the accept latency those clients saw (`p99_accept_ms`, which at saturation mixes throughput
 * and latency: each client waits for its answer before sending again).
 */
export function saturationPhase(options: { messages: number; clients: number; viaOutbox: boolean }): MessagesBenchPhase {
  const { messages, clients, viaOutbox } = options;
  return {
    name: 'saturation',
    async run(ctx) {
      ctx.log(`${viaOutbox ? 'queueing' : 'posting'} ${messages} messages${viaOutbox ? ' into the outbox' : ` with ${clients} clients`}`);
      const started = performance.now();
      const acceptMs: number[] = [];
      const firstRecipient = ctx.messageIds.length; // recipients after the earlier phases'
      if (viaOutbox) {
        const specs = Array.from({ length: messages }, (_, i) => ({
          accountId: ctx.accountId,
          from: ctx.from,
          to: ctx.numberFor(firstRecipient + i),
          body: `bench message ${i}`,
        }));
        ctx.messageIds.push(...(await insertQueuedMessages(ctx.deps, specs)));
      } else {
        const ids = new Array<string>(messages);
        let next = 0;
        const progress = setInterval(() => ctx.log(`accepted ${next} at ${((performance.now() - started) / 1000).toFixed(0)} s`), 10_000);
        await Promise.all(
          Array.from({ length: clients }, async () => {
            while (next < messages) {
              const i = next++;
              const t0 = performance.now();
              const res = await ctx.http.call('POST', '/v1/messages', ctx.auth, {
                to: ctx.numberFor(firstRecipient + i),
                from: ctx.from,
                body: `bench message ${i}`,
              });
              acceptMs.push(performance.now() - t0);
              if (res.status !== 202) throw new Error(`POST /v1/messages answered ${res.status}: ${JSON.stringify(res.json)}`);
              ids[i] = res.json.id!;
            }
          }),
        );
        clearInterval(progress);
        ctx.messageIds.push(...ids);
        ctx.log(`accepted ${messages} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
      await drained(ctx, started);
      const msgsPerS = messages / ((performance.now() - started) / 1000);
      acceptMs.sort((a, b) => a - b);
      if (acceptMs.length > 0)
        ctx.log(
          `saturation accept latency ms: p50 ${percentile(acceptMs, 50).toFixed(1)}, p90 ${percentile(acceptMs, 90).toFixed(1)}, p99 ${percentile(acceptMs, 99).toFixed(1)}, max ${acceptMs.at(-1)!.toFixed(1)}`,
        );
      return {
        messages,
        msgs_per_s: Math.round(msgsPerS),
        p99_accept_ms: acceptMs.length > 0 ? Number(percentile(acceptMs, 99).toFixed(1)) : null,
      };
    },
  };
}
