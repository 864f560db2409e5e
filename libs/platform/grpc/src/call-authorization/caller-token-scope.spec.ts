import { randomUUID } from 'node:crypto';

import type { PermissionGrant } from '@flotilla/api-interfaces';

import {
  CallerTokenTooLarge,
  distinctScopeIds,
  grantsOfScopeClaims,
  MalformedCallerTokenScope,
  MAX_CALLER_TOKEN_SCOPE_CHARS,
  MAX_CALLER_TOKEN_SCOPE_IDS,
  scopeClaimsOf,
} from './caller-token-scope';

const uuids = (count: number) => Array.from({ length: count }, () => randomUUID());
const sorted = (ids: readonly string[] | undefined) => [...(ids ?? [])].sort();

/** Grants compared as the permission checks read them: restriction lists are sets. */
function asSets(grants: readonly PermissionGrant[] | undefined) {
  return grants?.map((grant) => ({
    permissions: [...grant.permissions],
    ...(grant.projectIds ? { projectIds: sorted(grant.projectIds) } : {}),
    ...(grant.environmentIds ? { environmentIds: sorted(grant.environmentIds) } : {}),
  }));
}

const roundTrip = (grants: readonly PermissionGrant[]) =>
  grantsOfScopeClaims(JSON.parse(JSON.stringify(scopeClaimsOf(grants))) as Record<string, unknown>);

describe('caller token scope claims', () => {
  it('carries every restriction as the same set of ids, UUIDs and other ids alike', () => {
    const projects = uuids(5);
    const grants: PermissionGrant[] = [
      { permissions: ['ProjectView', 'ReleaseView'] },
      {
        permissions: ['DeploymentCreate'],
        projectIds: projects,
        environmentIds: ['Environments-1', 'e-staging'],
      },
      { permissions: ['ReleaseView'], projectIds: [] },
      // Upper-case UUIDs are not canonical: they travel as text and come back exactly as written.
      {
        permissions: ['ProjectView'],
        projectIds: [projects[0], 'A0000000-0000-4000-8000-00000000000B'],
      },
    ];
    expect(asSets(roundTrip(grants))).toEqual(asSets(grants));
  });

  it('writes each id once however many grants name it, and 1,000 UUIDs in about 21,000 characters', () => {
    const projects = uuids(1000);
    const one = JSON.stringify(scopeClaimsOf([{ permissions: ['ProjectView'], projectIds: projects }]));
    const three = JSON.stringify(
      scopeClaimsOf(
        ['ProjectView', 'ReleaseCreate', 'DeploymentCreate'].map((permission) => ({
          permissions: [permission] as PermissionGrant['permissions'],
          projectIds: projects,
        })),
      ),
    );
    // 16 bytes per UUID in base64url is 21,334 characters; the bitmap of a grant 168.
    expect(one.length).toBeGreaterThan(21_334);
    expect(one.length).toBeLessThan(21_334 + 300);
    expect(three.length - one.length).toBeLessThan(2 * 250);
    expect(asSets(roundTrip([{ permissions: ['ProjectView'], projectIds: projects }]))).toEqual([
      { permissions: ['ProjectView'], projectIds: sorted(projects) },
    ]);
  });

  it(`refuses more than ${MAX_CALLER_TOKEN_SCOPE_IDS} distinct ids with the account's numbers and what to change`, () => {
    const projects = uuids(MAX_CALLER_TOKEN_SCOPE_IDS);
    const atTheBound: PermissionGrant[] = [
      { permissions: ['ProjectView'], projectIds: projects.slice(0, 1000) },
      { permissions: ['ReleaseView'], projectIds: projects.slice(500) },
    ];
    expect(distinctScopeIds(atTheBound)).toBe(MAX_CALLER_TOKEN_SCOPE_IDS);
    expect(() => scopeClaimsOf(atTheBound)).not.toThrow();
    const beyond = [
      ...atTheBound,
      { permissions: ['ProjectView'], environmentIds: ['e-one-more'] } as PermissionGrant,
    ];
    expect(() => scopeClaimsOf(beyond)).toThrow(CallerTokenTooLarge);
    expect(() => scopeClaimsOf(beyond)).toThrow(
      `This account's team grants list ${MAX_CALLER_TOKEN_SCOPE_IDS + 1} distinct projects and environments over 3 scoped grants; the limit is ${MAX_CALLER_TOKEN_SCOPE_IDS}. An administrator can narrow`,
    );
  });

  it('refuses ids whose text would not fit even when they are few enough', () => {
    const long = Array.from({ length: 500 }, (_, index) => `project-${index}-`.padEnd(100, 'x'));
    expect(() => scopeClaimsOf([{ permissions: ['ProjectView'], projectIds: long }])).toThrow(
      new RegExp(`they take \\d+ characters, and the limit is ${MAX_CALLER_TOKEN_SCOPE_CHARS}`),
    );
  });

  describe('refuses claims not written by scopeClaimsOf', () => {
    const projects = uuids(9);
    const good = scopeClaimsOf([
      { permissions: ['ProjectView'], projectIds: projects },
      { permissions: ['DeploymentCreate'], environmentIds: ['e-staging'] },
    ]) as unknown as Record<string, unknown>;
    const grant0 = (good['grants'] as Record<string, unknown>[])[0];
    const bitmap = Buffer.from(grant0['projects'] as string, 'base64url');
    const cases: Record<string, Record<string, unknown>> = {
      'grants without the id table': { grants: good['grants'] },
      'an id table without grants': { scopeUuids: good['scopeUuids'], scopeIds: [] },
      'grants that are not a list': { ...good, grants: {} },
      'a grant that is null': { ...good, grants: [null] },
      'permissions that are not a list': { ...good, grants: [{ permissions: 'ProjectView' }] },
      'a restriction under another name (would read as unrestricted)': {
        ...good,
        grants: [{ permissions: ['ProjectView'], projectIds: projects }],
      },
      'packed UUIDs not a whole number of 16 bytes': {
        ...good,
        scopeUuids: Buffer.alloc(17).toString('base64url'),
      },
      'base64 with padding': { ...good, scopeUuids: `${good['scopeUuids'] as string}=` },
      'base64 with characters outside base64url': { ...good, scopeUuids: '+/+/' },
      'other ids that are not text': { ...good, scopeIds: [7] },
      'a UUID among the other ids (two spellings of one table)': { ...good, scopeIds: [projects[0]] },
      'an empty id': { ...good, scopeIds: ['e-staging', ''] },
      'an id twice': { ...good, scopeIds: ['e-staging', 'e-staging'] },
      'a bitmap shorter than the table': {
        ...good,
        grants: [{ permissions: ['ProjectView'], projects: bitmap.subarray(0, 1).toString('base64url') }],
      },
      'a bitmap with a bit past the table': {
        ...good,
        grants: [{ permissions: ['ProjectView'], projects: Buffer.from([0xff, 0xff]).toString('base64url') }],
      },
      'a bitmap that is not text': { ...good, grants: [{ permissions: ['ProjectView'], projects: [0] }] },
      'more ids than the bound': {
        ...good,
        scopeUuids: Buffer.concat(
          uuids(MAX_CALLER_TOKEN_SCOPE_IDS + 1).map((id) => Buffer.from(id.replace(/-/g, ''), 'hex')),
        ).toString('base64url'),
        scopeIds: [],
        grants: [],
      },
    };

    it('reads the good claims (the cases below differ from them in one place)', () => {
      expect(grantsOfScopeClaims(good)?.[0]?.projectIds).toHaveLength(9);
      // 10 ids: two bitmap bytes, the last 6 bits of the second must stay clear.
      expect(bitmap).toHaveLength(2);
    });

    it.each(Object.entries(cases))('%s', (_name, claims) => {
      expect(() => grantsOfScopeClaims(claims)).toThrow(MalformedCallerTokenScope);
    });
  });
});
