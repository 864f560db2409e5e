import { mkdir } from 'node:fs/promises';

import { safeJoin } from './safe-path';

/**
 * The folders of shared storage (DESIGN.md §Shared storage layout). Every node mounts the same
 * root; each file has exactly one writer.
 */
export class SharedStorageLayout {
  constructor(readonly root: string) {}

  get packagesDir(): string {
    return safeJoin(this.root, 'Packages');
  }

  get taskLogsDir(): string {
    return safeJoin(this.root, 'TaskLogs');
  }

  get eventExportsDir(): string {
    return safeJoin(this.root, 'EventExports');
  }

  artifactsDir(taskId: string): string {
    return safeJoin(this.root, 'Artifacts', taskId);
  }

  taskLogPath(taskId: string): string {
    return safeJoin(this.taskLogsDir, `${taskId}.log`);
  }

  packagePath(fileName: string): string {
    return safeJoin(this.packagesDir, fileName);
  }

  async ensureFolders(): Promise<void> {
    for (const dir of [
      this.packagesDir,
      this.taskLogsDir,
      this.eventExportsDir,
      safeJoin(this.root, 'Artifacts'),
    ]) {
      await mkdir(dir, { recursive: true });
    }
  }
}
