import { safeJoin } from './safe-path';
import type { SharedStorageLayout } from './shared-storage-layout';
import { FolderProbe, probeFolder } from './storage-probe';

export type SharedStorageFolder = 'Packages' | 'TaskLogs' | 'Artifacts' | 'EventExports';

const FOLDERS: readonly SharedStorageFolder[] = ['Packages', 'TaskLogs', 'Artifacts', 'EventExports'];

export interface SharedStorageFolderHealth extends FolderProbe {
  folder: SharedStorageFolder;
}

export interface SharedStorageHealth {
  /** Every folder took a write. */
  writable: boolean;
  /** ISO-8601, this node's clock: when the folders were probed (results are cached briefly). */
  checkedAt: string;
  folders: SharedStorageFolderHealth[];
}

export interface SharedStorageProbeOptions {
  /** How long one folder may take before it counts as not answering (a hung NFS mount). */
  timeoutMs: number;
  /** How long a result is reused, so dashboards and load balancers cannot hammer storage. */
  cacheMs: number;
}

export const DEFAULT_STORAGE_PROBE_OPTIONS: SharedStorageProbeOptions = { timeoutMs: 2000, cacheMs: 5000 };

type ProbeFolder = (dir: string) => Promise<FolderProbe>;

/**
 * Whether this node can write each folder of shared storage, found by really writing there
 * (probeFolder), at most once per `cacheMs` however many ask.
 *
 * A file-system call on a hung mount cannot be cancelled: it holds one of libuv's four threadpool
 * threads until the server answers, and the process's other file and DNS work queues behind it.
 * So the folders are probed one after another, and while any earlier probe is still stuck no new
 * one starts: at most one thread is ever held by probing, and the answer comes within `timeoutMs`.
 */
export class SharedStorageProbe {
  private cached: { at: number; health: SharedStorageHealth } | undefined;
  private running: Promise<SharedStorageHealth> | undefined;
  /** A probe that outlived its timeout and has not returned yet. */
  private stuck: { folder: SharedStorageFolder; since: number } | undefined;

  constructor(
    private readonly layout: Pick<SharedStorageLayout, 'root'>,
    private readonly options: SharedStorageProbeOptions = DEFAULT_STORAGE_PROBE_OPTIONS,
    private readonly probe: ProbeFolder = probeFolder,
    private readonly now: () => number = Date.now,
  ) {}

  check(): Promise<SharedStorageHealth> {
    if (this.cached && this.now() - this.cached.at < this.options.cacheMs) {
      return Promise.resolve(this.cached.health);
    }
    this.running ??= this.probeAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probeAll(): Promise<SharedStorageHealth> {
    const at = this.now();
    const folders: SharedStorageFolderHealth[] = [];
    for (const folder of FOLDERS) {
      folders.push({ folder, ...(await this.probeOne(folder)) });
    }
    const health = {
      writable: folders.every((f) => f.writable),
      checkedAt: new Date(at).toISOString(),
      folders,
    };
    this.cached = { at, health };
    return health;
  }

  private async probeOne(folder: SharedStorageFolder): Promise<FolderProbe> {
    if (this.stuck) {
      const seconds = Math.round((this.now() - this.stuck.since) / 1000);
      return {
        writable: false,
        errorCode: 'ETIMEDOUT',
        error: `not probed: a write to ${this.stuck.folder} has not returned for ${seconds} s`,
      };
    }
    const started = this.now();
    const work = this.probe(safeJoin(this.layout.root, folder));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs);
    });
    try {
      const outcome = await Promise.race([work, timedOut]);
      if (outcome !== 'timeout') return outcome;
    } finally {
      clearTimeout(timer);
    }
    const stuck = { folder, since: started };
    this.stuck = stuck;
    const unstick = (): void => {
      if (this.stuck === stuck) this.stuck = undefined;
    };
    work.then(unstick, unstick);
    return {
      writable: false,
      errorCode: 'ETIMEDOUT',
      error: `a write did not return within ${this.options.timeoutMs} ms`,
    };
  }
}
