import { nestedGroupCount, nestedGroupTree } from './nested-group-tree';

describe('nestedGroupTree', () => {
  it('has f1 + f1·f2 + ... groups, level by level', () => {
    const tree = nestedGroupTree([3, 3, 4, 7], 'g');
    expect(tree).toHaveLength(300);
    expect(nestedGroupCount([3, 3, 4, 7])).toBe(300);
    const perLevel = [1, 2, 3, 4].map((level) => tree.filter((group) => group.level === level).length);
    expect(perLevel).toEqual([3, 9, 36, 252]);
    expect(tree.map((group) => group.level)).toEqual([...tree.map((group) => group.level)].sort());
  });

  it('names every group once and links each to a group of the level below, defined earlier', () => {
    const tree = nestedGroupTree([2, 3, 2], 'nested');
    expect(new Set(tree.map((group) => group.name)).size).toBe(tree.length);
    tree.forEach((group, index) => {
      if (group.level === 1) {
        expect(group.memberName).toBeUndefined();
        return;
      }
      const member = tree.findIndex((other) => other.name === group.memberName);
      expect(member).toBeGreaterThanOrEqual(0);
      expect(member).toBeLessThan(index);
      expect(tree[member]?.level).toBe(group.level - 1);
    });
    expect(tree[0]).toEqual({ name: 'nested-1', level: 1, memberName: undefined });
    expect(tree.find((group) => group.name === 'nested-2.3.1')).toEqual({
      name: 'nested-2.3.1',
      level: 3,
      memberName: 'nested-2.3',
    });
  });

  it('reaches the user from every group in exactly its level of steps', () => {
    const tree = nestedGroupTree([3, 2, 2], 'g');
    const byName = new Map(tree.map((group) => [group.name, group]));
    for (const group of tree) {
      let steps = 1;
      let member = group.memberName;
      while (member !== undefined) {
        member = byName.get(member)?.memberName;
        steps += 1;
      }
      expect(steps).toBe(group.level);
    }
  });

  it('refuses fan-outs that make no tree', () => {
    expect(() => nestedGroupTree([], 'g')).toThrow(/fan-outs/);
    expect(() => nestedGroupTree([3, 0], 'g')).toThrow(/fan-outs/);
    expect(() => nestedGroupTree([2.5], 'g')).toThrow(/fan-outs/);
  });
});
