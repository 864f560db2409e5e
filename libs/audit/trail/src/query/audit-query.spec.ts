import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { auditV1 } from '@flotilla/contracts';

import { DEFAULT_TAKE, MAX_TAKE, parseAuditQuery } from './audit-query';

const empty: auditV1.QueryEventsRequest = {
  actor: '',
  action: '',
  resourceType: '',
  resourceId: '',
  from: '',
  to: '',
  skip: 0,
  take: 0,
};

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error instanceof RpcException ? error.getError() : error;
  }
  throw new Error('expected a throw');
}

describe(parseAuditQuery.name, () => {
  it('leaves empty filters out and takes the default page size', () => {
    expect(parseAuditQuery(empty)).toEqual({ skip: 0, take: DEFAULT_TAKE });
  });

  it('reads every filter, trimming surrounding space', () => {
    expect(
      parseAuditQuery({
        actor: ' alice ',
        action: 'project.created',
        resourceType: 'Project',
        resourceId: 'p1',
        from: '2025-03-01',
        to: '2025-03-02T00:00:00+01:00',
        skip: 20,
        take: 10,
      }),
    ).toEqual({
      actor: 'alice',
      action: { exact: 'project.created' },
      resourceType: 'Project',
      resourceId: 'p1',
      from: new Date('2025-03-01T00:00:00Z'),
      to: new Date('2025-03-01T23:00:00Z'),
      skip: 20,
      take: 10,
    });
  });

  it('treats a trailing * as a prefix and a lone * as no filter', () => {
    expect(parseAuditQuery({ ...empty, action: 'project.*' }).action).toEqual({ prefix: 'project.' });
    expect(parseAuditQuery({ ...empty, action: '*' }).action).toBeUndefined();
    expect(parseAuditQuery({ ...empty, action: 'pro*ject' }).action).toEqual({ exact: 'pro*ject' });
  });

  it('caps take at the maximum', () => {
    expect(parseAuditQuery({ ...empty, take: 10_000 }).take).toBe(MAX_TAKE);
    expect(parseAuditQuery({ ...empty, take: MAX_TAKE }).take).toBe(MAX_TAKE);
  });

  it.each([
    [{ skip: -1 }, 'skip: must be 0 or more'],
    [{ take: -5 }, 'take: must be 0 or more'],
    [{ from: 'last tuesday' }, 'from: must be an ISO-8601 date or timestamp with a time zone'],
    [{ to: '2025-03-01T10:00:00' }, 'to: must be an ISO-8601 date or timestamp with a time zone'],
    [{ from: '2025-03-02', to: '2025-03-01' }, 'from: must not be after to'],
  ])('refuses %j', (change, message) => {
    expect(thrownBy(() => parseAuditQuery({ ...empty, ...change }))).toEqual({
      code: status.INVALID_ARGUMENT,
      message,
    });
  });
});
