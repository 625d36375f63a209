import type { EntityManager } from '@mikro-orm/postgresql';
import type { AccountActor } from '../actor';
import { noticesFor } from './notice-store';

/** GET /v1/notices: what the account is being told now (its own notices and every account's banners). */
export class NoticesService {
  constructor(private readonly clock: () => Date = () => new Date()) {}

  async list(em: EntityManager, actor: AccountActor, limit: number, at = this.clock()) {
    const rows = await noticesFor(em, actor.accountId, at, limit);
    return {
      data: rows.map((n) => ({
        id: n.id,
        processId: n.processId,
        phase: n.phase,
        title: n.title,
        body: n.body,
        contentVersion: n.contentVersion,
        shownFrom: n.shownFrom.toISOString(),
        shownUntil: n.shownUntil?.toISOString() ?? null,
      })),
    };
  }
}
