/**
 * A tree of groups nested upwards from one user: the user is a direct member of `fanouts[0]`
 * groups; each group of level n is itself a member of `fanouts[n]` groups of level n+1. Every
 * group is reachable from the user, most only through nesting (as in a company where a person is
 * in a few teams that sit in departments, divisions, regions...), which is what AD's in-chain
 * rule has to walk. Pure: names and links only, the seed turns them into LDIF.
 */
export interface NestedGroupNode {
  /** Unique, from the group's path in the tree: `<prefix>-2.1.4` (level 3). */
  name: string;
  /** 1: the user's direct groups; fanouts.length: the top. */
  level: number;
  /** The group's one member: the name of the level-below group, undefined at level 1 (the user). */
  memberName: string | undefined;
}

/** How many groups a tree with these fan-outs has: f1 + f1·f2 + f1·f2·f3 + ... */
export function nestedGroupCount(fanouts: readonly number[]): number {
  let total = 0;
  let width = 1;
  for (const fanout of fanouts) {
    width *= fanout;
    total += width;
  }
  return total;
}

/**
 * The groups, level by level (a group's member always comes earlier in the list, so one LDIF
 * can add them in this order with their `member` already set).
 */
export function nestedGroupTree(fanouts: readonly number[], prefix: string): NestedGroupNode[] {
  if (fanouts.length === 0 || fanouts.some((fanout) => !Number.isInteger(fanout) || fanout < 1))
    throw new Error(`fan-outs must be whole numbers of at least 1 (got [${fanouts.join(', ')}])`);
  const groups: NestedGroupNode[] = [];
  let previous: { path: number[]; name: string | undefined }[] = [{ path: [], name: undefined }];
  fanouts.forEach((fanout, index) => {
    const level = index + 1;
    const current: { path: number[]; name: string | undefined }[] = [];
    for (const below of previous) {
      for (let branch = 1; branch <= fanout; branch += 1) {
        const path = [...below.path, branch];
        const name = `${prefix}-${path.join('.')}`;
        groups.push({ name, level, memberName: below.name });
        current.push({ path, name });
      }
    }
    previous = current;
  });
  return groups;
}
