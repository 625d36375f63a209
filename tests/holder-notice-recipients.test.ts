import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminContacts } from '../services/notices/notice-store';
import { holderEmails } from '../services/holders/memberships';
import { accountContactEmail } from '../services/termination/termination-store';
import { accountHolderEmails } from '../services/dsr/dsr-store';
import { startHarness, type Harness } from './support/harness';
import { addMemberDirectly, markOwnerVerified, signUpHolder } from './support/holders';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const em = () => h.deps.orm.em.fork();

describe('notices, certificates and breach emails go to verified holders only', () => {
  it('an owner who never used the emailed link, and a member who never proved the mailbox, are written to by no path', async () => {
    // The owner signed up under an address nobody proved; a verified admin and an unverified billing member join.
    const squatted = await signUpHolder(h, 'Squatted');
    const admin = await signUpHolder(h, 'Admin own');
    const unproven = await signUpHolder(h, 'Unproven own');
    await h.deps.pgPool.query('update users set email_verified_at = now() where id = $1', [admin.userId]);
    await addMemberDirectly(h, squatted.accountId, admin.userId, 'admin');
    await addMemberDirectly(h, squatted.accountId, unproven.userId, 'billing'); // membership verified, identity not

    // Policy, subprocessor and breach notices (notice-store), webhook and DSR emails (holderEmails), termination's export link and certificate.
    expect((await adminContacts(em(), [squatted.accountId])).get(squatted.accountId)).toEqual([admin.email]);
    expect(await holderEmails(em(), squatted.accountId)).toEqual([admin.email]);
    expect(await accountHolderEmails(em(), squatted.accountId)).toEqual([admin.email]);
    expect(await accountContactEmail(h.deps.pgPool, squatted.accountId)).toBe(admin.email);

    // Once the owner proves the mailbox, they come first.
    await markOwnerVerified(squatted.accountId);
    expect(await holderEmails(em(), squatted.accountId)).toEqual([squatted.email, admin.email]);
    expect(await accountContactEmail(h.deps.pgPool, squatted.accountId)).toBe(squatted.email);
  });

  it('an account with no verified holder has nobody to write to', async () => {
    const alone = await signUpHolder(h, 'Alone');
    expect(await holderEmails(em(), alone.accountId)).toEqual([]);
    expect(await accountContactEmail(h.deps.pgPool, alone.accountId)).toBeNull();
  });
});
