import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness, type HarnessOptions } from './harness';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';

export interface WebhookStack {
  h: Harness;
  sim: SimulatorProcess;
  /** Where the product listens (its PUBLIC_BASE_URL): the simulator calls back here. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * The product listening on a real port (carriers must reach its /webhooks/*), with PUBLIC_BASE_URL
 * set to that port before the app is built, and the simulator process sending status callbacks and
 * inbound messages to it.
 */
export async function startWebhookStack(options: Omit<HarnessOptions, 'env'> & { env?: Record<string, string> } = {}): Promise<WebhookStack> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sim = await startSimulatorProcess({
    telnyxInboundUrl: `${baseUrl}/webhooks/telnyx`,
    twilioInboundUrl: `${baseUrl}/webhooks/twilio/inbound`,
  });
  const h = await startHarness({ ...options, env: { ...sim.env(), PUBLIC_BASE_URL: baseUrl, ...options.env } });
  server.on('request', h.app);
  return {
    h,
    sim,
    baseUrl,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await h.close();
      await sim.stop();
    },
  };
}
