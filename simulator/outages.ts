import type { Server } from 'node:http';
import type { CarrierVendor, Outage } from './types';

/** One vendor's listener, which an outage can close (clients get ECONNREFUSED) and reopen on the same port. */
export class VendorListener {
  port = 0;

  constructor(
    readonly server: Server,
    private readonly host: string,
  ) {}

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, this.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  async open(): Promise<void> {
    if (this.server.listening) return;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.listen(this.port);
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

const CLIENT_FIN_GRACE_MS = 100;

interface Window {
  vendor: CarrierVendor;
  mode: Outage['mode'];
  startAt: number;
  endAt: number;
}

/** Applies a plan's outage windows: `refuse` closes the vendor's listener for the window, `status503` is asked at request time. */
export class OutageController {
  private windows: Window[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly refusing: Record<CarrierVendor, number> = { telnyx: 0, twilio: 0 };

  constructor(private readonly listeners: Record<CarrierVendor, VendorListener>) {}

  /** Replaces the windows; an outage starting now has closed its listener when this resolves. */
  async apply(outages: Outage[]): Promise<void> {
    await this.clear();
    const t0 = Date.now();
    const immediate: Promise<void>[] = [];
    for (const outage of outages) {
      const window = {
        vendor: outage.vendor,
        mode: outage.mode,
        startAt: t0 + outage.startInMs,
        endAt: t0 + outage.startInMs + outage.durationMs,
      };
      this.windows.push(window);
      if (outage.mode !== 'refuse') continue;
      if (outage.startInMs === 0) immediate.push(this.startRefusing(outage.vendor));
      else this.at(outage.startInMs, () => void this.startRefusing(outage.vendor));
      this.at(outage.startInMs + outage.durationMs, () => void this.stopRefusing(outage.vendor));
    }
    await Promise.all(immediate);
    // Clients drop their pooled keep-alive sockets once they read the FIN; give them that moment so
    // the next request after this call opens a new connection and meets ECONNREFUSED, not a reset.
    if (immediate.length > 0) await new Promise((resolve) => setTimeout(resolve, CLIENT_FIN_GRACE_MS));
  }

  modeNow(vendor: CarrierVendor): Outage['mode'] | null {
    if (this.windows.length === 0) return null;
    const now = Date.now();
    for (const w of this.windows) if (w.vendor === vendor && now >= w.startAt && now < w.endAt) return w.mode;
    return null;
  }

  async clear(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    this.windows = [];
    const reopen: Promise<void>[] = [];
    for (const vendor of ['telnyx', 'twilio'] as const) {
      if (this.refusing[vendor] > 0) {
        this.refusing[vendor] = 0;
        reopen.push(this.listeners[vendor].open());
      }
    }
    await Promise.all(reopen);
  }

  private at(delayMs: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, delayMs));
  }

  private async startRefusing(vendor: CarrierVendor): Promise<void> {
    this.refusing[vendor] += 1;
    if (this.refusing[vendor] === 1) await this.listeners[vendor].close();
  }

  private async stopRefusing(vendor: CarrierVendor): Promise<void> {
    if (this.refusing[vendor] === 0) return;
    this.refusing[vendor] -= 1;
    if (this.refusing[vendor] === 0) await this.listeners[vendor].open();
  }
}
