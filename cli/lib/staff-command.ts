import type { Command } from 'commander';
import type { ZodType } from 'zod';
import { CliError } from './cli-error';
import { CliContext, type GlobalOptions } from './context';

/** One command (or group): it adds itself to the program. The registry, commands/index.ts, lists them all. */
export type StaffCommand = (program: Command) => void;

/**
 * Wraps a command's action: builds the context from the global options, runs it, and turns any
 * failure into one line on stderr and exit code 1.
 */
export function action<O extends object = object>(run: (ctx: CliContext, options: O, args: string[]) => Promise<void>) {
  return async (...params: unknown[]): Promise<void> => {
    const command = params[params.length - 1] as Command;
    const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
    try {
      await run(ctx, command.opts<O & Record<string, unknown>>(), command.args);
    } catch (err) {
      ctx.output.error(err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err));
      process.exitCode = 1;
    }
  };
}

/** Checks input with the API's own schema, so the CLI refuses what the server would, with the same reasons. */
export function validInput<T extends ZodType>(schema: T, input: unknown): ReturnType<T['parse']> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new CliError(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  }
  return parsed.data as ReturnType<T['parse']>;
}
