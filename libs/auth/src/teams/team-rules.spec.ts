import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { rpcErrorDetails } from '@flotilla/platform/grpc';

import { TeamInput, validateTeam } from './team-rules';

const team = (overrides: Partial<TeamInput>): TeamInput => ({
  name: 'Ops',
  description: '',
  members: [],
  grants: [],
  ...overrides,
});

function refusal(input: TeamInput): { code: number; message: string } | undefined {
  try {
    validateTeam(input);
  } catch (error) {
    return rpcErrorDetails(error instanceof RpcException ? error.getError() : error);
  }
  return undefined;
}

describe(validateTeam.name, () => {
  it('trims names, puts group ids in the form sign-in records, and keeps each member and scope id once', () => {
    expect(
      validateTeam(
        team({
          name: '  Ops  ',
          members: [
            { kind: 'group', id: ' s-1-5-21-1-2-3-1105 ', displayName: ' Ops Team ' },
            { kind: 'group', id: 'S-1-5-21-1-2-3-1105' },
            { kind: 'group', id: 'ABCDEF01-0000-0000-0000-000000000000' },
            { kind: 'group', id: 'CN=Ops,OU=Groups,DC=example,DC=org' },
            { kind: 'user', id: 'u1', displayName: 'ignored for users' },
          ],
          grants: [{ role: 'Deployer', projectIds: ['p1', 'p1', ' p2 '] }],
        }),
      ),
    ).toEqual({
      name: 'Ops',
      description: '',
      members: [
        { kind: 'group', id: 'S-1-5-21-1-2-3-1105' },
        { kind: 'group', id: 'abcdef01-0000-0000-0000-000000000000' },
        { kind: 'group', id: 'CN=Ops,OU=Groups,DC=example,DC=org' },
        { kind: 'user', id: 'u1' },
      ],
      grants: [{ role: 'Deployer', projectIds: ['p1', 'p2'] }],
    });
  });

  it('keeps an absent restriction absent (everywhere) and refuses an empty one (nowhere)', () => {
    expect(validateTeam(team({ grants: [{ role: 'Auditor' }] })).grants).toEqual([{ role: 'Auditor' }]);
    expect(refusal(team({ grants: [{ role: 'Auditor', environmentIds: [] }] }))).toEqual({
      code: status.INVALID_ARGUMENT,
      message:
        'A grant restricted to no environment gives nothing: leave the environments out for every environment',
    });
  });

  it.each<[string, Partial<TeamInput>, string]>([
    ['no name', { name: '  ' }, 'A team needs a name'],
    [
      'an unknown role',
      { grants: [{ role: 'root' }] },
      'Unknown role "root": one of Administrator, Deployer, Auditor',
    ],
    [
      'an unknown member kind',
      { members: [{ kind: 'robot', id: 'r' }] },
      'Unknown member kind "robot": one of user, group',
    ],
    ['a member without id', { members: [{ kind: 'user', id: ' ' }] }, 'A user member needs an id'],
    [
      'a blank project id',
      { grants: [{ role: 'Deployer', projectIds: [' '] }] },
      'A project id has 1 to 100 characters',
    ],
  ])('refuses %s', (_, overrides, message) => {
    expect(refusal(team(overrides))).toEqual({ code: status.INVALID_ARGUMENT, message });
  });

  it("refuses a team whose grants name more distinct ids than a member's caller token carries", () => {
    const ids = (count: number, prefix: string) => Array.from({ length: count }, (_, n) => `${prefix}-${n}`);
    // 3 grants of 500 projects + environments: 1,500 distinct ids fit exactly; one more does not.
    const grants = (extra: number) => [
      { role: 'Deployer', projectIds: ids(500, 'p1') },
      { role: 'Auditor', projectIds: ids(500, 'p2') },
      { role: 'Deployer', projectIds: ids(500, 'p1'), environmentIds: ids(500 + extra, 'e').slice(0, 500) },
      ...(extra ? [{ role: 'Auditor', environmentIds: ids(extra, 'x') }] : []),
    ];
    expect(refusal(team({ grants: grants(0) }))).toBeUndefined();
    expect(refusal(team({ grants: grants(1) }))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: expect.stringContaining(
        "This team's grants name 1501 distinct projects and environments; a member's caller token carries at most 1500",
      ) as unknown,
    });
  });
});
