import { staffProgram } from './staff-program';

/** `npm run staff -- <command>`: see cli/staff-program.ts and cli/commands/. */
void staffProgram().parseAsync(process.argv);
