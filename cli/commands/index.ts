import type { StaffCommand } from '../lib/staff-command';
import { billingCommand } from './billing';
import { createUserCommand } from './create-user';
import { dsrCommand } from './dsr';
import { enrolCommand } from './enrol';
import { loginCommand } from './login';
import { logoutCommand } from './logout';
import { terminateCommand } from './terminate';
import { terminationCommands } from './termination';
import { usersCommand } from './users';
import { whoamiCommand } from './whoami';
import { breachesCommand } from './breaches';
import { policiesCommand } from './policies';
import { subprocessorsCommand } from './subprocessors';

/**
 * Every staff CLI command, in the order `--help` lists them. A new command is one file in this
 * folder (over `ctx.client()`, with `pollUntilDone` for long operations) and one line here.
 */
export const STAFF_COMMANDS: StaffCommand[] = [
  createUserCommand,
  enrolCommand,
  loginCommand,
  logoutCommand,
  whoamiCommand,
  usersCommand,
  dsrCommand,
  breachesCommand,
  subprocessorsCommand,
  policiesCommand,
  terminateCommand,
  terminationCommands,
  billingCommand,
];
