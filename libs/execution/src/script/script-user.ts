import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DEFAULT_SCRIPT_USER = 'flotilla-script';

/** Who deployment scripts run as. */
export type ScriptIdentity =
  | { fenced: true; user: string; uid: number; gid: number; created: boolean }
  | { fenced: false; user: string; uid: number; reason: string };

/** What useradd and getent answered; a seam for tests of the decisions, not of the commands. */
export interface AccountCommands {
  /** passwd entry fields for a user, or undefined when there is no such user. */
  lookUp(user: string): Promise<{ uid: number; gid: number } | undefined>;
  /** useradd --system: no login shell, no home folder (so none in the data folder). */
  create(user: string): Promise<void>;
}

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * The OS user scripts run as. As root: the configured user, created (a system account, no login
 * shell, no home) when it does not exist yet. Not root: the executor cannot switch users, so
 * scripts run as the executor's own user, and the identity says plainly that they are not fenced.
 */
export async function resolveScriptIdentity(
  user: string,
  commands: AccountCommands = systemAccounts(),
  executorUid = process.getuid?.() ?? -1,
): Promise<ScriptIdentity> {
  if (executorUid !== 0) {
    const own = safeUserName();
    return {
      fenced: false,
      user: own,
      uid: executorUid,
      reason: `the executor runs as ${own} (uid ${executorUid}), not root, so it cannot switch users: scripts run as ${own} and are NOT fenced off from the services' files`,
    };
  }
  if (!USER_NAME.test(user))
    throw new Error(
      `FLOTILLA_SCRIPT_USER "${user}" is not a valid user name (lower case letters, digits, _ and -)`,
    );
  let account = await commands.lookUp(user);
  let created = false;
  if (!account) {
    try {
      await commands.create(user);
      created = true;
    } catch (error) {
      // Another executor on this machine may have just created it.
      if (!(await commands.lookUp(user))) throw error;
    }
    account = await commands.lookUp(user);
    if (!account) throw new Error(`user ${user} was created but cannot be found`);
  }
  if (account.uid === 0 || account.gid === 0)
    throw new Error(
      `FLOTILLA_SCRIPT_USER ${user} is root (uid ${account.uid}, gid ${account.gid}): scripts must run unprivileged`,
    );
  return { fenced: true, user, uid: account.uid, gid: account.gid, created };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'the executor user';
  }
}

export function systemAccounts(): AccountCommands {
  return {
    async lookUp(user) {
      try {
        const { stdout } = await run('getent', ['passwd', user]);
        const fields = stdout.trim().split(':');
        return { uid: Number(fields[2]), gid: Number(fields[3]) };
      } catch (error) {
        // getent: exit 2 means no such entry.
        if ((error as { code?: unknown }).code === 2) return undefined;
        throw error;
      }
    },
    async create(user) {
      const shell = ['/usr/sbin/nologin', '/sbin/nologin'].find((path) => existsSync(path)) ?? '/bin/false';
      const args = [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        shell,
        user,
      ];
      for (let attempt = 1; ; attempt += 1) {
        try {
          await run('useradd', args);
          return;
        } catch (error) {
          // Exit 10: /etc/passwd is locked by another useradd (a second node starting beside this one).
          if ((error as { code?: unknown }).code !== 10 || attempt >= 10) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    },
  };
}
