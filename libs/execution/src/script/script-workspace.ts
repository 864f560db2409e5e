import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The folders of one script run; all of it is removed when the step ends. */
export interface ScriptWorkspace {
  /** Owned by the executor, passable but not listable by the script user. */
  folder: string;
  scriptPath: string;
  /** HOME: the script's own. */
  home: string;
  /** TMPDIR: the script's own. */
  tmp: string;
  /** The working folder the script starts in. */
  workDir: string;
  remove(): Promise<void>;
}

/**
 * A fresh folder for one script run under `root`, with the script file, a home, a temp and a
 * work folder owned by the script's user (mode 0700: no other script user could read them if
 * users ever differ per task). Without an owner the executor's own user keeps them.
 */
export async function createScriptWorkspace(
  root: string,
  script: string,
  owner: { uid: number; gid: number } | undefined,
): Promise<ScriptWorkspace> {
  const folder = await mkdtemp(join(root, 'flotilla-step-'));
  const remove = () => rm(folder, { recursive: true, force: true });
  try {
    const workspace = {
      folder,
      scriptPath: join(folder, 'script.sh'),
      home: join(folder, 'home'),
      tmp: join(folder, 'tmp'),
      workDir: join(folder, 'work'),
      remove,
    };
    await writeFile(workspace.scriptPath, script, { mode: 0o600 });
    for (const own of [workspace.home, workspace.tmp, workspace.workDir]) await mkdir(own, { mode: 0o700 });
    if (owner) {
      await chmod(folder, 0o711);
      // The script may read its own text (bash reads it as the script's user), nothing else here.
      await chmod(workspace.scriptPath, 0o400);
      for (const own of [workspace.scriptPath, workspace.home, workspace.tmp, workspace.workDir])
        await chown(own, owner.uid, owner.gid);
    }
    return workspace;
  } catch (error) {
    await remove();
    throw error;
  }
}
