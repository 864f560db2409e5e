import type { NodeDiagnostics, SharedStorageFolderName } from '@flotilla/api-interfaces';
import { eventually } from '@flotilla/testing';

/** What a node's diagnostics say of shared storage overall and of one folder. */
export interface ReportedStorage {
  sharedStorageWritable: boolean;
  folder: SharedStorageFolderName;
  folderWritable: boolean;
  errorCode: string;
}

/** One node's own report (GET /api/health/diagnostics, asked of its gateway directly). */
export async function reportedStorage(
  nodeUrl: string,
  token: string,
  folder: SharedStorageFolderName,
): Promise<ReportedStorage> {
  const response = await fetch(`${nodeUrl}/api/health/diagnostics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`GET /api/health/diagnostics answered ${response.status}: ${text}`);
  const { sharedStorage } = JSON.parse(text) as NodeDiagnostics;
  const entry = sharedStorage.folders.find((candidate) => candidate.folder === folder);
  if (!entry) throw new Error(`the diagnostics name no shared storage folder ${folder}: ${text}`);
  return {
    sharedStorageWritable: sharedStorage.writable,
    folder,
    folderWritable: entry.writable,
    errorCode: entry.errorCode,
  };
}

/** Waits until the diagnostics report the folder as `writable` or not (a probe is reused for ~5 s). */
export function storageReportedAs(
  nodeUrl: string,
  token: string,
  folder: SharedStorageFolderName,
  writable: boolean,
): Promise<ReportedStorage> {
  return eventually(
    async () => {
      const report = await reportedStorage(nodeUrl, token, folder);
      return report.folderWritable === writable ? report : undefined;
    },
    15_000,
    `diagnostics reporting ${folder} ${writable ? 'writable' : 'not writable'}`,
  );
}
