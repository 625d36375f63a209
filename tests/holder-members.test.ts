import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/accounts';
import { freshAddress } from './support/addresses';
import { startHarness, type Harness } from './support/harness';
import {
  addMemberDirectly,
  emailedToken,
  HOLDER_PASSWORD,
  holderCookieHeaders,
  signInHolder,
  signUpHolder,
  type TestHolder,
} from './support/holders';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
let h: Harness;
const INVITED = 'You were invited to a MassiveSMS account';
/** A dead credential is charged to its address: from a fresh one, so parallel test files do not share that budget. */
const fromElsewhere = () => ({ 'X-Forwarded-For': freshAddress() });
const newEmail = () => `member-${randomBytes(6).toString('hex')}@example.com`;

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ env: { ...sim.env(), RATE_LIMIT_PER_MINUTE: '100000' } });
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

const invite = (by: Record<string, string>, email: string, role: string) =>
  request(h.app).post('/v1/account/invitations').set(by).send({ email, role });
const acceptAsNew = (token: string, password = HOLDER_PASSWORD) =>
  request(h.app).post('/v1/holders/invitation-acceptances').set('X-Forwarded-For', freshAddress()).send({ token, password });
const acceptSignedIn = (session: Record<string, string>, token: string) =>
  request(h.app).post('/v1/account/invitation-acceptances').set(session).send({ token });
const members = async (session: Record<string, string>) => (await request(h.app).get('/v1/account/members').set(session)).body;

/** Signs an identity in to one account (by id), as the role it holds there. */
const sessionIn = (holder: TestHolder, accountId: string) => signInHolder(h, holder.email, HOLDER_PASSWORD, accountId);

describe('invitations', () => {
  it('a new email: invited with a role, accepts with a password through the link (which verifies it), signs in as that role', async () => {
    const owner = await signUpHolder(h, 'Inviting Co');
    const email = newEmail();
    const invited = await invite(owner.session, email.toUpperCase(), 'developer');
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    expect(invited.body).toEqual({
      id: expect.any(String),
      email,
      role: 'developer',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(Date.parse(invited.body.expiresAt) - Date.parse(invited.body.createdAt)).toBe(7 * 24 * 3600 * 1000);
    expect((await members(owner.session)).invitations).toEqual([invited.body]);
    const mail = await emailedToken(sim.control, email, INVITED);
    expect(mail.text).toContain('"Inviting Co"');

    const accepted = await acceptAsNew(mail.token);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toEqual({ accountId: owner.accountId, role: 'developer' });
    expectProblem(await acceptAsNew(mail.token), 401, 'unauthorized');
    const signIn = await request(h.app)
      .post('/v1/sessions')
      .set('X-Forwarded-For', freshAddress())
      .send({ email, password: HOLDER_PASSWORD });
    expect(signIn.body).toMatchObject({ accountId: owner.accountId, role: 'developer' });
    const listed = await members(owner.session);
    expect(listed.invitations).toEqual([]);
    expect(listed.data).toEqual([
      { userId: owner.userId, email: owner.email, role: 'owner', since: expect.any(String), verified: false },
      { userId: expect.any(String), email, role: 'developer', since: expect.any(String), verified: true },
    ]);
    const { rows } = await h.deps.pgPool.query(
      `select action from audit_log where account_id = $1 and action like 'member.%' order by seq`,
      [owner.accountId],
    );
    expect(rows.map((r) => r.action)).toEqual(['member.invited', 'member.joined']);
  });

  it('an email that already signs in must accept signed in as itself: the public route is 409, another holder 403, and the link survives both', async () => {
    const owner = await signUpHolder(h, 'Owner Co');
    const invitee = await signUpHolder(h, 'Invitee Own Co');
    const stranger = await signUpHolder(h, 'Stranger Co');
    expect((await invite(owner.session, invitee.email, 'billing')).status).toBe(201);
    const { token } = await emailedToken(sim.control, invitee.email, INVITED);
    const publicTry = await acceptAsNew(token, 'a password to take it over');
    expectProblem(publicTry, 409, 'conflict');
    expect(publicTry.body.detail).toContain('sign in and accept with POST /v1/account/invitation-acceptances');
    expectProblem(await acceptSignedIn(stranger.session, token), 403, 'forbidden');
    const accepted = await acceptSignedIn(invitee.session, token);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toEqual({ accountId: owner.accountId, role: 'billing' });
    // The invitee's password is theirs, untouched by the public attempt.
    expect((await sessionIn(invitee, owner.accountId)).Cookie).toMatch(/^__Host-mss_session=/);
  });

  it('only an owner invites an owner; an admin invites the rest; a withdrawn invitation link stops working; a member is not invited twice', async () => {
    const owner = await signUpHolder(h);
    const admin = await signUpHolder(h);
    await addMemberDirectly(h, owner.accountId, admin.userId, 'admin');
    const adminSession = await sessionIn(admin, owner.accountId);
    const refused = await invite(adminSession, newEmail(), 'owner');
    expectProblem(refused, 403, 'forbidden');
    expect(refused.body.detail).toBe('only an owner can grant the owner role or change or remove an owner');
    const email = newEmail();
    const made = await invite(adminSession, email, 'developer');
    expect(made.status).toBe(201);
    const { token } = await emailedToken(sim.control, email, INVITED);
    expect((await request(h.app).delete(`/v1/account/invitations/${made.body.id}`).set(adminSession)).status).toBe(204);
    expectProblem(await acceptAsNew(token), 401, 'unauthorized');
    expectProblem(await invite(owner.session, admin.email, 'billing'), 409, 'conflict');
    expect((await invite(owner.session, newEmail(), 'owner')).status).toBe(201);
  });
});

describe('members and roles', () => {
  it('a developer cannot manage billing or keys; a billing holder manages billing but not keys nor contacts; members are listed to both', async () => {
    const owner = await signUpHolder(h);
    const [dev, biller] = [await signUpHolder(h), await signUpHolder(h)];
    await addMemberDirectly(h, owner.accountId, dev.userId, 'developer');
    await addMemberDirectly(h, owner.accountId, biller.userId, 'billing');
    const devSession = await sessionIn(dev, owner.accountId);
    const billSession = await sessionIn(biller, owner.accountId);
    const spendCap = (s: Record<string, string>) => request(h.app).patch('/v1/billing').set(s).send({ monthlySpendCap: '100.00' });
    const newKey = (s: Record<string, string>) =>
      request(h.app)
        .post('/v1/api-keys')
        .set(s)
        .send({ name: 'k', scopes: ['read'] });

    const devBilling = await spendCap(devSession);
    expectProblem(devBilling, 403, 'forbidden');
    expect(devBilling.body.detail).toBe('your role in this account (developer) does not allow this; it needs owner or admin or billing');
    expectProblem(await newKey(devSession), 403, 'forbidden');
    expect((await request(h.app).post('/v1/contacts').set(devSession).send({ phone: '+14155550123' })).status).toBe(201);

    expect((await spendCap(billSession)).status).toBe(200);
    const billKey = await newKey(billSession);
    expectProblem(billKey, 403, 'forbidden');
    expect(billKey.body.detail).toBe('your role in this account (billing) does not allow this; it needs owner or admin');
    expectProblem(await request(h.app).post('/v1/contacts').set(billSession).send({ phone: '+14155550124' }), 403, 'forbidden');
    expect((await request(h.app).get('/v1/billing').set(billSession)).status).toBe(200);
    expect((await members(billSession)).data).toHaveLength(3);
    expectProblem(await invite(devSession, newEmail(), 'developer'), 403, 'forbidden');
  });

  it("a role change rotates the member's token at its next use (new cookie, the old one dead) and applies at once", async () => {
    const owner = await signUpHolder(h);
    const member = await signUpHolder(h);
    await addMemberDirectly(h, owner.accountId, member.userId, 'developer');
    const before = await sessionIn(member, owner.accountId);
    expectProblem(await request(h.app).post('/v1/api-keys').set(before).send({ name: 'k' }), 403, 'forbidden');
    const changed = await request(h.app).patch(`/v1/account/members/${member.userId}`).set(owner.session).send({ role: 'admin' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ userId: member.userId, role: 'admin' });

    const next = await request(h.app).get('/v1/account').set(before);
    expect(next.status).toBe(200);
    const rotated = holderCookieHeaders(next.headers['set-cookie']);
    expect(rotated.Cookie).not.toBe(before.Cookie);
    expectProblem(await request(h.app).get('/v1/account').set(fromElsewhere()).set(before), 401, 'unauthorized');
    expect((await request(h.app).post('/v1/api-keys').set(rotated).send({ name: 'k' })).status).toBe(201);
    // No further rotation while the role stays.
    expect((await request(h.app).get('/v1/account').set(rotated)).headers['set-cookie']).toBeUndefined();
    const { rows } = await h.deps.pgPool.query(`select details from audit_log where actor_id = $1 and action = 'session.rotated'`, [
      member.userId,
    ]);
    expect(rows.map((r) => r.details)).toEqual([{ sessionId: expect.any(String), reason: 'role_changed', from: 'developer', to: 'admin' }]);
  });

  it("removal ends the member's sessions in the account at once; an admin cannot touch an owner; the last owner stays", async () => {
    const owner = await signUpHolder(h);
    const [admin, member] = [await signUpHolder(h), await signUpHolder(h)];
    await addMemberDirectly(h, owner.accountId, admin.userId, 'admin');
    await addMemberDirectly(h, owner.accountId, member.userId, 'developer');
    const adminSession = await sessionIn(admin, owner.accountId);
    const memberSession = await sessionIn(member, owner.accountId);
    expectProblem(await request(h.app).delete(`/v1/account/members/${owner.userId}`).set(adminSession), 403, 'forbidden');
    expectProblem(
      await request(h.app).patch(`/v1/account/members/${admin.userId}`).set(adminSession).send({ role: 'owner' }),
      403,
      'forbidden',
    );
    expect((await request(h.app).delete(`/v1/account/members/${member.userId}`).set(adminSession)).status).toBe(204);
    expectProblem(await request(h.app).get('/v1/contacts').set(fromElsewhere()).set(memberSession), 401, 'unauthorized');
    // The removed member's own account is untouched.
    expect((await request(h.app).get('/v1/account/profile').set(member.session)).status).toBe(200);
    const last = await request(h.app).delete(`/v1/account/members/${owner.userId}`).set(owner.session);
    expectProblem(last, 409, 'conflict');
    expectProblem(await request(h.app).patch(`/v1/account/members/${owner.userId}`).set(owner.session).send({ role: 'admin' }), 409);
    expectProblem(await request(h.app).delete(`/v1/account/members/${member.userId}`).set(owner.session), 404, 'not_found');
  });
});

describe('several accounts, one sign-in', () => {
  it('switching account rotates the session token: the new cookie opens the other account, the old one is dead; not a member is 404', async () => {
    const holder = await signUpHolder(h, 'Mine');
    const other = await signUpHolder(h, 'Theirs');
    await addMemberDirectly(h, other.accountId, holder.userId, 'developer');
    const switched = await request(h.app).post('/v1/sessions/account').set(holder.session).send({ accountId: other.accountId });
    expect(switched.status, JSON.stringify(switched.body)).toBe(200);
    expect(switched.body).toEqual({ accountId: other.accountId, role: 'developer' });
    const now = holderCookieHeaders(switched.headers['set-cookie']);
    expect(now.Cookie).not.toBe(holder.session.Cookie);
    expectProblem(await request(h.app).get('/v1/account').set(fromElsewhere()).set(holder.session), 401, 'unauthorized');
    expect((await request(h.app).get('/v1/account').set(now)).body.id).toBe(other.accountId);
    const stranger = await signUpHolder(h);
    expectProblem(await request(h.app).post('/v1/sessions/account').set(now).send({ accountId: stranger.accountId }), 404, 'not_found');
    expect((await request(h.app).get('/v1/account').set(now)).status).toBe(200);
  });
});
