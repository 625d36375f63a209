import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devDatabaseNameFor, devEnvironment } from '../scripts/dev-env';

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
