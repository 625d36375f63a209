import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devDatabaseNameFor, devEnvironment } from '../scripts/dev-env';
import { devProviderWiring } from '../scripts/dev-providers';

describe('dev environment', () => {
  it('names the database after the checkout, so two checkouts never share one', () => {
    expect(devDatabaseNameFor('/home/a/massivesms')).toBe('massivesms_031917d6');
    expect(devDatabaseNameFor('/home/b/massivesms')).toBe('massivesms_faeee4cd');
  });

  it('runs this checkout on its own database, as the app role, migrating as the owner', () => {
    const name = devDatabaseNameFor(realpathSync(join(__dirname, '..')));
    const env = devEnvironment();
    expect(env.DATABASE_URL).toBe(`postgres://massivesms_app@127.0.0.1:5432/${name}`);
    expect(env.DATABASE_OWNER_URL).toBe(`postgres://postgres@127.0.0.1:5432/${name}`);
  });
});

describe('dev provider wiring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dev-providers-'));

  it('points every vendor without real credentials at the simulator, and leaves a vendor with credentials alone', () => {
    const all = devProviderWiring({}, dir, 'http://127.0.0.1:3000');
    expect(all.simulated).toEqual(['telnyx', 'twilio', 'resend', 'stripe', 'posthog']);
    expect(all.productEnv.TELNYX_BASE_URL).toBe('http://127.0.0.1:4011/v2');
    expect(all.productEnv.TWILIO_BASE_URL).toBe('http://127.0.0.1:4012');
    expect(all.simulatorEnv?.SIM_TWILIO_INBOUND_URL).toBe('http://127.0.0.1:3000/webhooks/twilio/inbound');

    const realTelnyx = devProviderWiring({ TELNYX_API_KEY: 'KEYreal' }, dir, 'http://127.0.0.1:3000');
    expect(realTelnyx.simulated).toEqual(['twilio', 'resend', 'stripe', 'posthog']);
    expect(realTelnyx.productEnv.TELNYX_BASE_URL).toBeUndefined();
    expect(realTelnyx.productEnv.TELNYX_API_KEY).toBeUndefined();

    const real = devProviderWiring(
      { TELNYX_API_KEY: 'a', TWILIO_ACCOUNT_SID: 'b', RESEND_API_KEY: 'c', STRIPE_SECRET_KEY: 'd', POSTHOG_API_KEY: 'e' },
      dir,
      'x',
    );
    expect(real.simulatorEnv).toBeNull();
  });

  it('points Google sign-in at the local OpenID provider unless a real Google client is set', () => {
    const local = devProviderWiring({}, dir, 'http://127.0.0.1:3000');
    expect(local.localOidcIssuerPort).toBe(4013);
    expect(local.productEnv).toMatchObject({
      GOOGLE_OIDC_ISSUER: 'http://127.0.0.1:4013',
      GOOGLE_CLIENT_ID: 'massivesms-dev',
      GOOGLE_CLIENT_SECRET: 'local-oidc-issuer',
    });
    const real = devProviderWiring({ GOOGLE_CLIENT_ID: 'real.apps.googleusercontent.com' }, dir, 'http://127.0.0.1:3000');
    expect(real.localOidcIssuerPort).toBeNull();
    expect(real.productEnv.GOOGLE_OIDC_ISSUER).toBeUndefined();
    expect(real.productEnv.GOOGLE_CLIENT_ID).toBeUndefined();
  });

  it('gives the product the public key of the seed the simulator signs with, and keeps the secrets across restarts', () => {
    const first = devProviderWiring({}, dir, 'http://127.0.0.1:3000');
    const again = devProviderWiring({}, dir, 'http://127.0.0.1:3000');
    expect(again.productEnv.TWILIO_AUTH_TOKEN).toBe(first.productEnv.TWILIO_AUTH_TOKEN);
    const seed = Buffer.from(first.simulatorEnv!.SIM_TELNYX_SIGNING_SEED!, 'base64');
    const privateKey = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const signature = sign(null, Buffer.from('1700000000|{}'), privateKey);
    const publicKey = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(first.productEnv.TELNYX_PUBLIC_KEY!, 'base64')]),
      format: 'der',
      type: 'spki',
    });
    expect(verify(null, Buffer.from('1700000000|{}'), publicKey, signature)).toBe(true);
  });
});
