import { Command } from 'commander';
import { STAFF_COMMANDS } from './commands';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** The staff CLI: global options, then every command of the registry. */
export function staffProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('staff')
    .description('MassiveSMS staff commands, over the staff API (/staff/v1)')
    .option('--api <url>', 'the API base URL (MASSIVESMS_API_URL)', env.MASSIVESMS_API_URL || DEFAULT_API_URL)
    .option('--json', 'print results as JSON, for scripts')
    .showHelpAfterError();
  for (const register of STAFF_COMMANDS) register(program);
  return program;
}
