import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, loggablePath } from '../lib/logger';
import { scanLogDir } from './support/log-scan';

/** The scanner every test file's logs go through (tests/support/log-scan-setup.ts), on lines written here. */
const dir = mkdtempSync(join(tmpdir(), 'log-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKENS = {
  apiKey: 'msk_0123456789ab_Q2hvb3NlIGEgbG9uZyByYW5kb20gc2VjcmV0IGhlcmU',
  session: 'mss_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
  staff: 'mst_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
  exportLink: 'mse_MDFhMjQ5MTQtNWUxNS03ODhkLTk4OWYtYjY4MTFmMTc2ZWY2LjE3OTk.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
};

function scanOf(name: string, lines: string[], known: string[] = []) {
  writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return scanLogDir(dir, known).filter((f) => f.file === name);
}

describe('the log scan', () => {
  it('finds every kind of credential, one finding per line, and names the line', () => {
    const lines = [
      `{"level":30,"msg":"created","key":"${TOKENS.apiKey}"}`,
      `{"level":30,"req":{"path":"/v1/sessions/${TOKENS.session}"}}`,
      `staff says ${TOKENS.staff}`,
      `{"level":30,"req":{"method":"GET","path":"/v1/account/export/${TOKENS.exportLink}"}}`,
      '{"level":40,"headers":{"authorization":"Bearer abcdef123456"}}',
      '{"level":30,"password":"hunter2 hunter2"}',
      '{"level":30,"msg":"enrol at otpauth://totp/MassiveSMS:a@b?secret=JBSWY3DPEHPK3PXP"}',
      '{"level":30,"msg":"the master key is c2VjcmV0LW1hc3Rlci1rZXk="}',
    ];
    expect(scanOf('dirty.log', lines, ['c2VjcmV0LW1hc3Rlci1rZXk='])).toEqual([
      { file: 'dirty.log', line: 1, what: 'a MassiveSMS token' },
      { file: 'dirty.log', line: 2, what: 'a MassiveSMS token' },
      { file: 'dirty.log', line: 3, what: 'a MassiveSMS token' },
      { file: 'dirty.log', line: 4, what: 'a MassiveSMS token' },
      { file: 'dirty.log', line: 5, what: 'a bearer header' },
      { file: 'dirty.log', line: 6, what: 'an unredacted credential field' },
      { file: 'dirty.log', line: 7, what: 'a TOTP provisioning URI' },
      { file: 'dirty.log', line: 8, what: 'a secret the run configured' },
    ]);
  });

  it('passes what the product really logs: redacted fields, key prefixes, redacted paths', () => {
    const file = join(dir, 'product.log');
    const logger = createLogger('silent', 'api', undefined, { path: file, level: 'info' });
    logger.info({ req: { method: 'GET', path: loggablePath(`/v1/account/export/${TOKENS.exportLink}`) } }, 'request completed');
    logger.info({ req: { headers: { authorization: `Bearer ${TOKENS.apiKey}` } }, password: 'hunter2', token: TOKENS.session }, 'sign-in');
    logger.info({ keyPrefix: 'msk_0123456789ab' }, 'key used');
    logger.debug({ token: TOKENS.staff }, 'below the file level: not written');
    expect(scanLogDir(dir).filter((f) => f.file === 'product.log')).toEqual([]);
    expect(scanOf('product-copy.log', [`{"msg":"${loggablePath(`/staff/v1/enrolments/${TOKENS.staff}/accept`)}"}`])).toEqual([]);
    expect(loggablePath(`/v1/account/export/${TOKENS.exportLink}`)).toBe('/v1/account/export/[redacted]');
  });
});
