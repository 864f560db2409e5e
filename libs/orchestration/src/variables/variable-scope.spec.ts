import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { Permission, PermissionGrant, variableAccess } from '@flotilla/api-interfaces';
import type { orchestratorV1 } from '@flotilla/contracts';

import { mergeWithinScope, VariableAccessOf } from './variable-scope';

const variable = (
  name: string,
  value: string,
  environmentIds: string[] = [],
  isSensitive = false,
): orchestratorV1.Variable => ({ name, value, environmentIds, isSensitive });

/** Reads Shop's variables in Staging and Production, edits them in Staging only. */
const stagingEditor: PermissionGrant[] = [
  { permissions: [Permission.VariableView], projectIds: ['shop'], environmentIds: ['staging', 'production'] },
  { permissions: [Permission.VariableEdit], projectIds: ['shop'], environmentIds: ['staging'] },
];
/** Sees and edits Shop's Staging variables only. */
const stagingOnly: PermissionGrant[] = [
  {
    permissions: [Permission.VariableView, Permission.VariableEdit],
    projectIds: ['shop'],
    environmentIds: ['staging'],
  },
];
const accessOf =
  (grants: PermissionGrant[]): VariableAccessOf =>
  (v) =>
    variableAccess(grants, 'shop', v.environmentIds);

const stored = [
  variable('Url', 'https://shop'),
  variable('Url', 'https://staging.shop', ['staging']),
  variable('DbPassword', 'staging-secret', ['staging'], true),
  variable('DbPassword', 'production-secret', ['production'], true),
  variable('Region', 'eu', ['production']),
];

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RpcException);
    const { code, message } = (error as RpcException).getError() as { code: status; message: string };
    expect(code).toBe(status.PERMISSION_DENIED);
    return message;
  }
  throw new Error('expected a refusal');
}

describe(mergeWithinScope.name, () => {
  it('keeps the variables the caller cannot see, though absent from the request', () => {
    // What stagingOnly read: the unscoped Url and the Staging ones (the secret masked).
    const seen = [
      variable('Url', 'https://shop'),
      variable('Url', 'https://staging.shop', ['staging']),
      variable('DbPassword', '', ['staging'], true),
    ];
    const changed = [...seen.slice(0, 1), variable('Url', 'https://new.staging.shop', ['staging']), seen[2]];
    expect(mergeWithinScope(changed, stored, accessOf(stagingOnly))).toEqual([
      variable('Url', 'https://shop'),
      variable('Url', 'https://new.staging.shop', ['staging']),
      // Sent back blank: its stored value stays.
      variable('DbPassword', 'staging-secret', ['staging'], true),
      variable('DbPassword', 'production-secret', ['production'], true),
      variable('Region', 'eu', ['production']),
    ]);
  });

  it('lets a visible, read-only variable go back unchanged, and refuses changing or removing it', () => {
    const seen = stored.map((v) => (v.isSensitive ? { ...v, value: '' } : v));
    expect(mergeWithinScope(seen, stored, accessOf(stagingEditor))).toEqual(stored);
    const changed = seen.map((v) => (v.name === 'Region' ? { ...v, value: 'us' } : v));
    expect(refusal(() => mergeWithinScope(changed, stored, accessOf(stagingEditor)))).toMatch(
      /may not change variable "Region" \(environment production\)/,
    );
    const newSecret = seen.map((v) =>
      v.value === '' && v.environmentIds[0] === 'production' ? { ...v, value: 'x' } : v,
    );
    expect(refusal(() => mergeWithinScope(newSecret, stored, accessOf(stagingEditor)))).toMatch(
      /may not change variable "DbPassword"/,
    );
    expect(
      refusal(() =>
        mergeWithinScope(
          seen.filter((v) => v.name !== 'Region'),
          stored,
          accessOf(stagingEditor),
        ),
      ),
    ).toMatch(/may not remove variable "Region"/);
    // The unscoped Url applies in Production too: a Staging editor may not touch it.
    expect(
      refusal(() =>
        mergeWithinScope(
          seen.filter((v) => v.environmentIds.length > 0),
          stored,
          accessOf(stagingEditor),
        ),
      ),
    ).toMatch(/may not remove variable "Url" \(every environment\)/);
  });

  it('refuses adding a variable outside the edit scope, or moving one there', () => {
    const seen = [variable('Url', 'https://shop'), variable('Url', 'https://staging.shop', ['staging'])];
    const secrets = [variable('DbPassword', '', ['staging'], true)];
    for (const added of [
      variable('Token', 't', ['production']),
      variable('Token', 't', ['staging', 'production']),
      variable('Token', 't'),
    ]) {
      expect(
        refusal(() => mergeWithinScope([...seen, ...secrets, added], stored, accessOf(stagingOnly))),
      ).toMatch(/may not add variable "Token"/);
    }
    const moved = [seen[0], variable('Url', 'https://staging.shop', ['production']), ...secrets];
    expect(refusal(() => mergeWithinScope(moved, stored, accessOf(stagingOnly)))).toMatch(
      /may not add variable "Url" \(environment production\)/,
    );
    expect(
      mergeWithinScope(
        [...seen, ...secrets, variable('Token', 't', ['staging'])],
        stored,
        accessOf(stagingOnly),
      ),
    ).toContainEqual(variable('Token', 't', ['staging']));
  });

  it('does not hand a hidden secret to a variable added under its name and scope', () => {
    const guess = variable('DbPassword', '', ['production'], true);
    expect(refusal(() => mergeWithinScope([guess], stored, accessOf(stagingOnly)))).toMatch(/may not add/);
  });

  it('lets an editor who cannot see Production replace a Production variable it names, deleting nothing else', () => {
    const blindEditor: PermissionGrant[] = [
      { permissions: [Permission.VariableView], projectIds: ['shop'], environmentIds: ['staging'] },
      { permissions: [Permission.VariableEdit], projectIds: ['shop'] },
    ];
    const seen = [
      variable('Url', 'https://shop'),
      variable('Url', 'https://staging.shop', ['staging']),
      variable('DbPassword', '', ['staging'], true),
    ];
    expect(
      mergeWithinScope([...seen, variable('Region', 'us', ['production'])], stored, accessOf(blindEditor)),
    ).toEqual([...stored.slice(0, 2), stored[2], variable('Region', 'us', ['production']), stored[3]]);
  });

  it('replaces the whole set for a caller unrestricted by environment', () => {
    const everywhere: PermissionGrant[] = [
      { permissions: [Permission.VariableView, Permission.VariableEdit], projectIds: ['shop'] },
    ];
    expect(mergeWithinScope([variable('Only', '1')], stored, accessOf(everywhere))).toEqual([
      variable('Only', '1'),
    ]);
  });
});
