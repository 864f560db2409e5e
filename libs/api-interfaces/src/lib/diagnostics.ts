/** A folder of shared storage, as DESIGN.md lays it out. */
export type SharedStorageFolderName = 'Packages' | 'TaskLogs' | 'Artifacts' | 'EventExports';

export interface SharedStorageFolderDiagnostic {
  folder: SharedStorageFolderName;
  /** A probe file could be created, written, fsynced and removed. */
  writable: boolean;
  /** e.g. ENOSPC, EDQUOT, EROFS, EACCES, EIO, or ETIMEDOUT for a mount that did not answer; empty when writable. */
  errorCode: string;
  /** The error in words (never the folder's path); empty when writable. */
  error: string;
}

export interface SharedStorageDiagnostic {
  /** Every folder is writable from this node. */
  writable: boolean;
  /** ISO-8601, this node's clock: when storage was probed (a result is reused for a few seconds). */
  checkedAt: string;
  folders: SharedStorageFolderDiagnostic[];
}

/**
 * GET /api/health/diagnostics: what this node (the one that answered) sees of its surroundings.
 * Unlike the ping, a problem here takes no node out of the load balancer.
 */
export interface NodeDiagnostics {
  nodeName: string;
  sharedStorage: SharedStorageDiagnostic;
}
