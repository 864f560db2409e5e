import { DirectoryProtocolError } from './directory-refusal';

/** A group as the walk sees it: its DN (to walk on from) and what the caller keeps of it. */
export interface WalkedGroup<G> {
  dn: string;
  group: G;
}

/** DNs per look-up: one query per level, in chunks a server's filter limits accept. */
export const WALK_BATCH = 100;

/**
 * Generic LDAP has no in-chain rule, so nested groups are found level by level on the client:
 * the groups listing the user, then the groups listing those, and so on. A DN seen before is not
 * walked again (so a cycle ends, and a group reached two ways counts once); a chain deeper than
 * `maxDepth` levels is an error, never a quietly shorter list. A chain exactly `maxDepth` deep is
 * complete: its top level is asked once more, and only a group found there (not one seen before,
 * as in a cycle) is one level too many.
 *
 * `groupsListing(dns)` answers the groups whose member attribute holds any of `dns`.
 */
export async function walkGroups<G>(
  userDn: string,
  maxDepth: number,
  groupsListing: (memberDns: readonly string[]) => Promise<WalkedGroup<G>[]>,
): Promise<G[]> {
  const found: G[] = [];
  // DNs compare case-insensitively in AD and in most LDAP schemas' distinguishedNameMatch.
  const seen = new Set<string>([userDn.toLowerCase()]);
  let frontier: string[] = [userDn];
  // Asking the groups of level `depth` (0: the user) finds level depth + 1.
  for (let depth = 0; frontier.length > 0; depth++) {
    const next: WalkedGroup<G>[] = [];
    for (let index = 0; index < frontier.length; index += WALK_BATCH) {
      for (const walked of await groupsListing(frontier.slice(index, index + WALK_BATCH))) {
        if (seen.has(walked.dn.toLowerCase())) continue;
        seen.add(walked.dn.toLowerCase());
        next.push(walked);
      }
    }
    if (next.length > 0 && depth >= maxDepth) {
      throw new DirectoryProtocolError(`The groups of ${userDn} nest deeper than ${maxDepth} levels`);
    }
    found.push(...next.map((walked) => walked.group));
    frontier = next.map((walked) => walked.dn);
  }
  return found;
}
