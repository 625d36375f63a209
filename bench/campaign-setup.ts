import { createReadStream, createWriteStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { Pool } from 'pg';
import { phoneFor } from '../tests/support/csv';
import type { ApiCaller } from './bench-kit';

/** A contacts CSV of `count` people (phoneFor(i), "Person i") in one timezone, written with back-pressure. */
export async function writeAudienceCsv(path: string, count: number, timezone: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('phone,name,timezone\n');
  for (let i = 0; i < count; i++) {
    if (!out.write(`${phoneFor(i)},Person ${i},${timezone}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Streams a CSV file to the import endpoint. */
export function uploadCsv(url: string, headers: Record<string, string>, file: string): Promise<{ status: number; json: { id?: string } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-type': 'text/csv' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(data) as { id?: string } }));
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

/** A list of every contact of the account (filled in SQL: a bench's audience is large) and a draft campaign to it; answers its id. */
export async function createListCampaign(
  http: ApiCaller,
  db: Pick<Pool, 'query'>,
  auth: Record<string, string>,
  accountId: string,
  campaign: { name: string; template: string; from: string; ratePerSecond: number },
): Promise<string> {
  const list = await http.call('POST', '/v1/lists', auth, { name: 'Everyone' });
  if (list.status !== 201) throw new Error(`list answered ${list.status}`);
  await db.query(
    `insert into list_memberships (list_id, contact_id, account_id, created_at) select $1, id, account_id, now() from contacts where account_id = $2`,
    [list.json.id, accountId],
  );
  const created = await http.call('POST', '/v1/campaigns', auth, { ...campaign, audience: { listIds: [list.json.id] } });
  if (created.status !== 201) throw new Error(`campaign answered ${created.status}: ${JSON.stringify(created.json)}`);
  return created.json.id!;
}
