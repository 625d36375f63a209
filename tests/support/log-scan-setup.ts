import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { describeFindings, LOG_DIR_ENV, scanLogDir } from './log-scan';

// One directory per test file: testEnvironment() points every process the file starts (the in-process
// harness, spawned API, worker and CLI processes) at a file in it, and the simulator's output goes there too.
const dir = join(inject('logScanDir'), `${process.pid}-${randomBytes(4).toString('hex')}`);
process.env[LOG_DIR_ENV] = dir;

// Registered before the file's own hooks, so (hooks run as a stack) it runs after they stopped every process.
afterAll(() => {
  const findings = scanLogDir(dir, [inject('masterKey')]);
  if (findings.length > 0) throw new Error(`${describeFindings(findings)}\n(the logs are in ${dir})`);
});
