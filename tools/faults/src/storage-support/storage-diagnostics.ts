import { eventually } from '@flotilla/testing';

/** One folder of shared storage as a node's diagnostics report it. */
export interface FolderWritability {
  folder: string;
  writable: boolean;
  errorCode?: string;
}

/**
 * The node's own report (GET /api/health/diagnostics) on one folder of shared storage. The agreed
 * interface says only that writability is reported per folder, so the entry naming the folder is
 * looked for wherever the report puts it.
 */
export async function reportedFolder(
  baseUrl: string,
  token: string,
  folder: string,
): Promise<FolderWritability> {
  const response = await fetch(`${baseUrl}/api/health/diagnostics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`GET /api/health/diagnostics answered ${response.status}: ${text}`);
  const entry = findFolder(JSON.parse(text) as unknown, folder);
  if (!entry) throw new Error(`the diagnostics name no shared storage folder ${folder}: ${text}`);
  return entry;
}

function findFolder(value: unknown, folder: string): FolderWritability | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<FolderWritability>;
  if (candidate.folder === folder && typeof candidate.writable === 'boolean') {
    return { folder, writable: candidate.writable, errorCode: candidate.errorCode };
  }
  for (const child of Object.values(value)) {
    const found = findFolder(child, folder);
    if (found) return found;
  }
  return undefined;
}

/** Waits until the diagnostics report the folder as `writable` (they may cache for a few seconds). */
export function folderReportedAs(
  baseUrl: string,
  token: string,
  folder: string,
  writable: boolean,
): Promise<FolderWritability> {
  return eventually(
    async () => {
      const entry = await reportedFolder(baseUrl, token, folder);
      return entry.writable === writable ? entry : undefined;
    },
    15_000,
    `diagnostics reporting ${folder} ${writable ? 'writable' : 'not writable'}`,
  );
}
