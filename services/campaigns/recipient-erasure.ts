import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A data subject's erasure removes their rows from every campaign's audience snapshot, so the
 * phone hash no longer ties the subject to the campaigns they were sent. A row still pending is
 * counted skipped (`contact_deleted`, what the campaign itself does with a recipient whose contact
 * is gone) in the stored totals the campaign workflow adopts at its next page, so its progress
 * still adds up. The campaigns are locked before their recipients, in the order the campaign's
 * own page and cancel take them, so an erasure never deadlocks a running campaign.
 * Returns how many rows went; call until it returns fewer than `limit`.
 */
export async function eraseCampaignRecipients(em: EntityManager, accountId: string, phoneHash: Buffer, limit: number): Promise<number> {
  return em.transactional(async (tem) => {
    const campaigns = await tem.execute<{ campaign_id: string }[]>(
      `select campaign_id from campaign_recipients where account_id = ? and phone_hash = ? order by campaign_id limit ?`,
      [accountId, phoneHash, limit],
    );
    if (campaigns.length === 0) return 0;
    // A Postgres array literal: a JS array would be spread into a list of parameters.
    const ids = `{${campaigns.map((c) => c.campaign_id).join(',')}}`;
    await tem.execute(`select id from campaigns where id = any(?::uuid[]) order by id for update`, [ids]);
    const [gone] = await tem.execute<{ n: number }[]>(
      `with gone as (
         delete from campaign_recipients where campaign_id = any(?::uuid[]) and account_id = ? and phone_hash = ?
         returning campaign_id, state
       ), counted as (
         update campaigns c
            set skipped_counts = c.skipped_counts
                  || jsonb_build_object('contact_deleted', coalesce((c.skipped_counts ->> 'contact_deleted')::int, 0) + 1)
           from gone g where g.campaign_id = c.id and g.state = 'pending'
       )
       select count(*)::int as n from gone`,
      [ids, accountId, phoneHash],
    );
    return gone!.n;
  });
}
