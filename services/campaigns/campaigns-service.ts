import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Campaign } from '../../db/entities/campaign';
import { Contact } from '../../db/entities/contact';
import { ContactList } from '../../db/entities/list';
import { SENDABLE_STATUSES, SenderNumber } from '../../db/entities/sender-number';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { requireE164 } from '../../lib/phone';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';
import { openPii } from '../contacts/contact-pii';
import type { ServiceDeps } from '../deps';
import { findAccountPage, toPage, type PageRequest } from '../pagination';
import { estimateAudience } from './campaign-estimate';
import { openTemplate, sealTemplate } from './campaign-fields';
import { DEFAULT_QUIET_WINDOW, toHhmm, toMinute } from './quiet-hours';
import { renderMessageFor, requireTemplate } from './template';

export interface CampaignInput {
  name: string;
  template: string;
  from: string;
  audience: { listIds: string[]; excludeListIds?: string[] | undefined };
  startAt?: string | null | undefined;
  ratePerSecond: number;
  quietHours?: { start: string; end: string } | undefined;
}

export type CampaignPatch = Partial<CampaignInput>;

/** What `checkedFields` checks against the account: everything but the name and the template. */
type CheckedInput = Omit<CampaignInput, 'name' | 'template'>;

export function toCampaignView(c: Campaign, dataKey: DataKey) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    template: openTemplate(dataKey, c.id, c.template),
    variables: c.templateVariables,
    from: c.sender,
    audience: { listIds: c.listIds, excludeListIds: c.excludeListIds },
    startAt: c.startAt?.toISOString() ?? null,
    ratePerSecond: c.ratePerSecond,
    quietHours: { start: toHhmm(c.quietStartMinute), end: toHhmm(c.quietEndMinute) },
    launchedAt: c.launchedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export type CampaignView = ReturnType<typeof toCampaignView>;

/**
 * Campaign drafts: written, read, edited and deleted by their account; only a draft changes. The
 * template is checked when written (unknown placeholders refused, naming them), sealed under the
 * account's data key; the sender must be one of the account's numbers and every list its own.
 */
export class CampaignsService {
  constructor(private readonly deps: Pick<ServiceDeps, 'keyring' | 'config' | 'pgPool'>) {}

  async create(em: EntityManager, actor: AccountActor, input: CampaignInput) {
    const template = requireTemplate(input.template);
    return em.transactional(async (tem) => {
      const now = new Date();
      const id = uuidv7(now.getTime());
      const checked = await this.checkedFields(tem, actor, input);
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      const campaign = tem.create(Campaign, {
        id,
        accountId: actor.accountId,
        name: input.name,
        template: sealTemplate(dataKey, id, input.template),
        templateVariables: template.variables,
        ...checked,
        status: 'draft',
        createdAt: now,
        updatedAt: now,
      });
      await tem.flush();
      await auditByKey(tem, actor, 'campaign.created', { type: 'campaign', id });
      return toCampaignView(campaign, dataKey);
    });
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const campaign = await this.owned(em, actor, id);
    return toCampaignView(campaign, await this.deps.keyring.keyFor(em, actor.accountId));
  }

  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    const rows = await findAccountPage(em, Campaign, actor.accountId, page);
    const dataKey = await this.deps.keyring.keyFor(em, actor.accountId);
    return toPage(rows, page.limit, (c) => toCampaignView(c, dataKey));
  }

  async update(em: EntityManager, actor: AccountActor, id: string, patch: CampaignPatch) {
    const template = patch.template === undefined ? undefined : { text: patch.template, parsed: requireTemplate(patch.template) };
    return em.transactional(async (tem) => {
      const campaign = await this.owned(tem, actor, id, { lock: true });
      requireDraft(campaign, 'edited');
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      const merged: CheckedInput = {
        from: patch.from ?? campaign.sender,
        audience: patch.audience ?? { listIds: campaign.listIds, excludeListIds: campaign.excludeListIds },
        startAt: patch.startAt === undefined ? (campaign.startAt?.toISOString() ?? null) : patch.startAt,
        ratePerSecond: patch.ratePerSecond ?? campaign.ratePerSecond,
        quietHours: patch.quietHours ?? { start: toHhmm(campaign.quietStartMinute), end: toHhmm(campaign.quietEndMinute) },
      };
      Object.assign(campaign, await this.checkedFields(tem, actor, merged), { name: patch.name ?? campaign.name, updatedAt: new Date() });
      if (template) {
        campaign.template = sealTemplate(dataKey, id, template.text);
        campaign.templateVariables = template.parsed.variables;
      }
      await tem.flush();
      await auditByKey(tem, actor, 'campaign.updated', { type: 'campaign', id }, { fields: Object.keys(patch).sort() });
      return toCampaignView(campaign, dataKey);
    });
  }

  async remove(em: EntityManager, actor: AccountActor, id: string) {
    await em.transactional(async (tem) => {
      const campaign = await this.owned(tem, actor, id, { lock: true });
      requireDraft(campaign, 'deleted');
      tem.remove(campaign);
      await tem.flush();
      await auditByKey(tem, actor, 'campaign.deleted', { type: 'campaign', id });
    });
  }

  /**
   * What the campaign would send: the estimate for its whole audience (estimateAudience), and with
   * `contactId` the message that contact would get (its text, encoding and segment count).
   */
  async preview(em: EntityManager, actor: AccountActor, id: string, contactId?: string) {
    const campaign = await this.owned(em, actor, id);
    const dataKey = await this.deps.keyring.keyFor(em, actor.accountId);
    const template = requireTemplate(openTemplate(dataKey, campaign.id, campaign.template));
    let one = {};
    if (contactId !== undefined) {
      const contact = await em.findOne(Contact, { id: contactId, accountId: actor.accountId });
      if (!contact) throw AppError.notFound('contact');
      const pii = openPii(dataKey, contact.id, contact.pii);
      const { body, encoding, segments } = renderMessageFor(template, { name: pii.name, attributes: pii.attributes });
      one = { contactId: contact.id, body, characters: [...body].length, encoding, segments };
    }
    return { campaignId: campaign.id, ...one, estimate: await this.estimate(campaign, dataKey) };
  }

  /** The estimate of the whole audience's segments and cost (the preview's, and launch's before it starts). */
  async estimate(campaign: Campaign, dataKey: DataKey) {
    return estimateAudience(this.deps.pgPool, dataKey, {
      accountId: campaign.accountId,
      listIds: campaign.listIds,
      excludeListIds: campaign.excludeListIds,
      template: requireTemplate(openTemplate(dataKey, campaign.id, campaign.template)),
    });
  }

  async owned(em: EntityManager, actor: AccountActor, id: string, options: { lock?: boolean } = {}): Promise<Campaign> {
    const campaign = await em.findOne(
      Campaign,
      { id, accountId: actor.accountId },
      options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
    );
    if (!campaign) throw AppError.notFound('campaign');
    return campaign;
  }

  /** Sender, lists, rate, start time and quiet hours, each refused with the field named. */
  async checkedFields(em: EntityManager, actor: AccountActor, input: CheckedInput) {
    const sender = requireE164(input.from, 'from');
    if (!(await em.findOne(SenderNumber, { phoneE164: sender, accountId: actor.accountId, status: { $in: [...SENDABLE_STATUSES] } }))) {
      throw AppError.invalid('from', "must be one of this account's sender numbers (POST /v1/sender-numbers)");
    }
    const listIds = [...new Set(input.audience.listIds)];
    const excludeListIds = [...new Set(input.audience.excludeListIds ?? [])];
    const both = listIds.filter((l) => excludeListIds.includes(l));
    if (both.length > 0) throw AppError.invalid('audience.excludeListIds', `${both[0]} is also in audience.listIds`);
    const owned = new Set(
      (await em.find(ContactList, { id: { $in: [...listIds, ...excludeListIds] }, accountId: actor.accountId }, { fields: ['id'] })).map(
        (l) => l.id,
      ),
    );
    const missing = listIds.find((l) => !owned.has(l));
    if (missing) throw AppError.invalid('audience.listIds', `list ${missing} not found`);
    const missingExcluded = excludeListIds.find((l) => !owned.has(l));
    if (missingExcluded) throw AppError.invalid('audience.excludeListIds', `list ${missingExcluded} not found`);
    const maxRate = this.deps.config.CAMPAIGN_MAX_RATE_PER_SENDER;
    if (input.ratePerSecond > maxRate) throw AppError.invalid('ratePerSecond', `at most ${maxRate} messages per second per sender number`);
    const window = input.quietHours ?? { start: toHhmm(DEFAULT_QUIET_WINDOW.startMinute), end: toHhmm(DEFAULT_QUIET_WINDOW.endMinute) };
    const quietStartMinute = toMinute(window.start);
    const quietEndMinute = toMinute(window.end);
    if (quietStartMinute < DEFAULT_QUIET_WINDOW.startMinute) {
      throw AppError.invalid('quietHours.start', `must not be earlier than ${toHhmm(DEFAULT_QUIET_WINDOW.startMinute)}`);
    }
    if (quietEndMinute > DEFAULT_QUIET_WINDOW.endMinute) {
      throw AppError.invalid('quietHours.end', `must not be later than ${toHhmm(DEFAULT_QUIET_WINDOW.endMinute)}`);
    }
    if (quietStartMinute >= quietEndMinute) throw AppError.invalid('quietHours.end', 'must be later than quietHours.start');
    return {
      sender,
      listIds,
      excludeListIds,
      startAt: input.startAt ? new Date(input.startAt) : null,
      ratePerSecond: input.ratePerSecond,
      quietStartMinute,
      quietEndMinute,
    };
  }
}

export function requireDraft(campaign: Campaign, verb: string): void {
  if (campaign.status !== 'draft') {
    throw new AppError('conflict', `the campaign is ${campaign.status}: only a draft can be ${verb}`);
  }
}
