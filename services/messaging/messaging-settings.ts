import type { EntityManager } from '@mikro-orm/postgresql';
import { Account } from '../../db/entities/account';
import { MessagingSettings } from '../../db/entities/messaging-settings';
import { AppError } from '../../lib/errors';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';

export const COMPANY_NAME_MAX = 100;
export const HELP_TEXT_MAX = 320;

/** The HELP answer when the account has not written its own (carriers require one). */
export function defaultHelpText(companyName: string): string {
  return `${companyName}: Reply STOP to unsubscribe, START to resubscribe. Msg & data rates may apply.`;
}

export interface EffectiveMessagingSettings {
  /** The stored name, else the account's name: keyword replies are signed with it. */
  companyName: string;
  helpText: string;
  customCompanyName: string | null;
  customHelpText: string | null;
}

function toView(settings: EffectiveMessagingSettings, updatedAt: Date | null) {
  return {
    companyName: settings.customCompanyName,
    helpText: settings.customHelpText,
    effectiveCompanyName: settings.companyName,
    effectiveHelpText: settings.helpText,
    updatedAt: updatedAt?.toISOString() ?? null,
  };
}

export class MessagingSettingsService {
  /** What keyword replies use: the account's own text, else a default built from its company name. */
  async effective(em: EntityManager, accountId: string): Promise<EffectiveMessagingSettings & { updatedAt: Date | null }> {
    const [settings, account] = await Promise.all([
      em.findOne(MessagingSettings, { accountId }),
      em.findOne(Account, { id: accountId }, { fields: ['name'] }),
    ]);
    if (!account) throw AppError.notFound('account');
    const companyName = settings?.companyName ?? account.name;
    return {
      companyName,
      helpText: settings?.helpText ?? defaultHelpText(companyName),
      customCompanyName: settings?.companyName ?? null,
      customHelpText: settings?.helpText ?? null,
      updatedAt: settings?.updatedAt ?? null,
    };
  }

  async get(em: EntityManager, actor: AccountActor) {
    const settings = await this.effective(em, actor.accountId);
    return toView(settings, settings.updatedAt);
  }

  /** Replaces both fields: null (or absent) returns a field to its default. */
  async put(em: EntityManager, actor: AccountActor, input: { companyName?: string | null | undefined; helpText?: string | null | undefined }) {
    await em.transactional(async (tem) => {
      const now = new Date();
      await tem.upsert(MessagingSettings, {
        accountId: actor.accountId,
        companyName: input.companyName ?? null,
        helpText: input.helpText ?? null,
        updatedAt: now,
      });
      await auditByKey(tem, actor, 'messaging_settings.updated', { type: 'account', id: actor.accountId }, {
        companyName: input.companyName ?? null,
        helpTextSet: input.helpText != null,
      });
    });
    return this.get(em.fork(), actor);
  }
}
