import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error';

/** Everything on stdin, without its final line break (for `--password-stdin`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function requireTerminal(what: string): void {
  if (!process.stdin.isTTY)
    throw new CliError(`no terminal to ask for the ${what}: pass it with --${what === 'password' ? 'password-stdin' : what}`);
}

/** Asks on the terminal without echoing what is typed. */
export async function askHidden(question: string): Promise<string> {
  requireTerminal('password');
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            resolve(typed);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new CliError('cancelled'));
            return;
          }
          typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** Asks on the terminal, echoing the answer (a TOTP code is worthless once used). */
export async function askVisible(question: string, option: string): Promise<string> {
  requireTerminal(option);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** The password: from stdin with `--password-stdin`, otherwise asked for (twice when it is being set). */
export async function passwordFrom(options: { passwordStdin?: boolean }, purpose: 'sign-in' | 'new'): Promise<string> {
  if (options.passwordStdin) return readStdin();
  const password = await askHidden('Password: ');
  if (purpose === 'new' && (await askHidden('Repeat the password: ')) !== password) throw new CliError('the passwords do not match');
  return password;
}
