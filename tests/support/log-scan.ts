import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The suite's log scan: every process a test file starts appends its log lines (at info, whatever
 * its console level) to a file in that file's log directory, and the directory is scanned when the
 * file ends (tests/support/log-scan-setup.ts). A credential in any line fails the file.
 */
export const LOG_DIR_ENV = 'MASSIVESMS_TEST_LOG_DIR';

const SECRET_SHAPES: { what: string; pattern: RegExp }[] = [
  // API keys (msk_), sessions (mss_), staff tokens (mst_), signed links (mse_, msc_), enrolment links: all ms?_ + a long random part.
  { what: 'a MassiveSMS token', pattern: /\bms[a-z]_[A-Za-z0-9_-]{20,}/ },
  { what: 'a bearer header', pattern: /\bbearer\s+[^\s"\\[]{8,}/i },
  { what: 'an unredacted credential field', pattern: /"(password|authorization|cookie|token|totpSecret)"\s*:\s*"(?!\[redacted\])/i },
  { what: 'a TOTP provisioning URI', pattern: /otpauth:\/\//i },
];

export interface LogFinding {
  file: string;
  line: number;
  what: string;
}

/** Every line of every file in `dir` holding a credential shape or one of `knownSecrets` (exact). */
export function scanLogDir(dir: string, knownSecrets: string[] = []): LogFinding[] {
  if (!existsSync(dir)) return [];
  const findings: LogFinding[] = [];
  for (const file of readdirSync(dir)) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const shape = SECRET_SHAPES.find((s) => s.pattern.test(text));
      const known = knownSecrets.some((secret) => secret.length > 0 && text.includes(secret));
      if (shape || known) findings.push({ file, line: i + 1, what: shape?.what ?? 'a secret the run configured' });
    });
  }
  return findings;
}

/** What a failure says: where, and what kind of secret; never the line itself (CI output is a log too). */
export function describeFindings(findings: LogFinding[]): string {
  const shown = findings.slice(0, 20).map((f) => `  ${f.file}:${f.line}: ${f.what}`);
  const more = findings.length > shown.length ? [`  … and ${findings.length - shown.length} more`] : [];
  return [`${findings.length} log line(s) hold a credential:`, ...shown, ...more].join('\n');
}
