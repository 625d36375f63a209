import { spawn, type ChildProcess } from 'node:child_process';

interface Member {
  name: string;
  child: ChildProcess;
}

/** Signals a child's whole process group; a group that is already gone is fine. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Whether any process of the group still exists (a SIGKILLed one takes a moment to go). */
function groupAlive(child: ChildProcess): boolean {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 0);
    return child.pid !== undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Until the group is empty, or `ms` passed (an unreaped zombie still counts as a member). */
async function groupGone(child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (groupAlive(child) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * The dev stack's children, each in its own process group so a stop reaches what they spawned too
 * (the worker's node process, esbuild helpers), whether the stop came from a terminal or a signal.
 */
export class ChildGroup {
  private readonly members: Member[] = [];
  private stopping = false;

  constructor(private readonly onUnexpectedExit: (name: string, how: string) => void) {}

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    this.members.push({ name, child });
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.onUnexpectedExit(name, String(signal ?? code));
    });
    return child;
  }

  /** SIGTERM to every group (newest first), SIGKILL to any group still there after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.members].reverse().map(async ({ child }) => {
        if (!exited(child)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            signalGroup(child, 'SIGTERM');
          });
        }
        // Whatever the leader left behind in its group (helpers that outlive it) goes too.
        signalGroup(child, 'SIGKILL');
        await groupGone(child, 2_000);
      }),
    );
  }
}
