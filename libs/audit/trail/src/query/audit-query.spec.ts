import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { encodeAuditCursor } from './audit-cursor';
import { DEFAULT_TAKE, MAX_TAKE, parseAuditQuery } from './audit-query';
import { queryRequest } from './query-request.test-support';

const cursor = {
  occurredAt: new Date('2025-03-01T12:00:00.000Z'),
  id: '0f8c1c66-5e2e-4d0b-9d55-6a8f1d3c2b1a',
};

const empty = queryRequest();

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
    expect(parseAuditQuery(empty)).toEqual({ take: DEFAULT_TAKE });
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
        take: 10,
        after: encodeAuditCursor(cursor),
        clientIp: ' 10.1.16.0/20 ',
        text: ' "name":"Web" ',
        outcome: ' failure ',
        requestId: 'req-1',
        projectId: 'Projects-1',
        environmentId: 'Environments-2',
      }),
    ).toEqual({
      actor: 'alice',
      action: { exact: 'project.created' },
      resourceType: 'Project',
      resourceId: 'p1',
      from: new Date('2025-03-01T00:00:00Z'),
      to: new Date('2025-03-01T23:00:00Z'),
      clientIp: { low: '00000000000000000000ffff0a011000', high: '00000000000000000000ffff0a011fff' },
      text: '"name":"Web"',
      outcome: 'failure',
      requestId: 'req-1',
      projectId: 'Projects-1',
      environmentId: 'Environments-2',
      after: cursor,
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
    [{ after: 'bm90IGEgY3Vyc29y' }, 'after: is not a cursor this API gave (nextCursor of a page)'],
    [{ clientIp: 'example.com' }, 'clientIp: must be an IPv4 or IPv6 address or a CIDR block (10.1.0.0/16)'],
    [{ text: 'x'.repeat(201) }, 'text: at most 200 characters'],
    [{ take: -5 }, 'take: must be 0 or more'],
    [{ from: 'last tuesday' }, 'from: must be an ISO-8601 date or timestamp with a time zone'],
    [{ to: '2025-03-01T10:00:00' }, 'to: must be an ISO-8601 date or timestamp with a time zone'],
    [{ from: '2025-03-02', to: '2025-03-01' }, 'from: must not be after to'],
    [{ outcome: 'failed' }, 'outcome: must be one of success, failure, refused'],
    [{ requestId: 'r'.repeat(129) }, 'requestId: at most 128 characters'],
    [{ projectId: 'p'.repeat(201) }, 'projectId: at most 200 characters'],
  ])('refuses %j', (change, message) => {
    expect(thrownBy(() => parseAuditQuery({ ...empty, ...change }))).toEqual({
      code: status.INVALID_ARGUMENT,
      message,
    });
  });
});
