import { TEAM_MEMBER_ID_MAX_LENGTH } from '@flotilla/api-interfaces';

const SID = /^s-\d+(-\d+)+$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A directory group id in the one text form sign-in records it in (directory-client.ts): a SID with
 * a capital S, an entryUUID in lower case, a DN as it is. An administrator typing `s-1-5-21-...` or
 * an upper-case UUID into a team still matches the group.
 */
export function normalizeDirectoryGroupId(id: string): string {
  const trimmed = id.trim();
  if (SID.test(trimmed)) return trimmed.toUpperCase();
  if (UUID.test(trimmed)) return trimmed.toLowerCase();
  return trimmed;
}

/** Whether a group id fits the columns that hold it (a longer DN cannot be a team member either). */
export function isStorableGroupId(id: string): boolean {
  return id.length > 0 && id.length <= TEAM_MEMBER_ID_MAX_LENGTH;
}
