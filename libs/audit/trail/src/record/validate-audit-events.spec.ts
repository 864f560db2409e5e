import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { auditV1 } from '@flotilla/contracts';
import { FORWARDED_FOR_MAX_LENGTH } from '@flotilla/platform/grpc';

import { UNCHAINED } from '../event/audit-event.test-support';
import { MAX_EVENTS_PER_RECORD, validateAuditEvent, validateAuditEvents } from './validate-audit-events';

const valid: auditV1.AuditEvent = {
  id: '3F2504E0-4F89-41D3-9A0C-0305E82C3301',
  occurredAt: '2025-03-01T10:15:00.123Z',
  actorId: 'u1',
  actorName: 'alice',
  action: 'project.created',
  resourceType: 'Project',
  resourceId: 'p1',
  details: '{"name":"Web"}',
  clientIp: '192.0.2.7',
  source: 'orchestrator',
  forwardedFor: '192.0.2.7',
  signInMethod: 'directory',
  apiKeyId: '',
  socketPeer: '127.0.0.1',
  nodeName: 'node-2',
  requestId: 'req-42',
  outcome: 'success',
  projectId: 'Projects-1',
  environmentId: '',
  ...UNCHAINED,
};

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error instanceof RpcException ? error.getError() : error;
  }
  throw new Error('expected a throw');
}

describe(validateAuditEvent.name, () => {
  it('turns a valid event into a row, lower-casing the id', () => {
    const { sequenceNumber: _n, chainHash: _h, recordedAt: _r, ...fields } = valid;
    expect(validateAuditEvent(valid, 0)).toEqual({
      ...fields,
      id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      occurredAt: new Date('2025-03-01T10:15:00.123Z'),
    });
  });

  it('stores provenance it cannot vouch for as empty, never refusing the event', () => {
    const shaped = validateAuditEvent(
      {
        ...valid,
        signInMethod: 'magic',
        apiKeyId: 'key with spaces',
        socketPeer: '::ffff:127.0.0.1',
        requestId: 'r'.repeat(129),
        outcome: 'maybe',
      },
      0,
    );
    expect(shaped).toMatchObject({
      signInMethod: '',
      apiKeyId: '',
      socketPeer: '127.0.0.1',
      requestId: '',
      outcome: '',
    });
    expect(validateAuditEvent({ ...valid, socketPeer: '<script>' }, 0).socketPeer).toBe('');
  });

  it('refuses a node, project or environment longer than its column', () => {
    expect(thrownBy(() => validateAuditEvent({ ...valid, projectId: 'p'.repeat(201) }, 3))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'events[3].projectId: must be at most 200 characters',
    });
    expect(thrownBy(() => validateAuditEvent({ ...valid, nodeName: 'n\u0000' }, 0))).toMatchObject({
      message: 'events[0].nodeName: must not contain NUL characters',
    });
  });

  it('stores absent details as an empty object', () => {
    expect(validateAuditEvent({ ...valid, details: '' }, 0).details).toBe('{}');
  });

  it.each([
    [{ id: 'not-a-uuid' }, 'events[4].id: must be a UUID'],
    [{ id: '' }, 'events[4].id: must be a UUID'],
    [{ occurredAt: '' }, 'events[4].occurredAt: must be an ISO-8601 timestamp with a time zone'],
    [
      { occurredAt: '2025-03-01 10:15' },
      'events[4].occurredAt: must be an ISO-8601 timestamp with a time zone',
    ],
    [{ action: '  ' }, 'events[4].action: must not be empty'],
    [{ resourceType: '' }, 'events[4].resourceType: must not be empty'],
    [{ details: '{"name":' }, 'events[4].details: must be valid JSON'],
    [{ details: '[1,2]' }, 'events[4].details: must be a JSON object'],
    [{ details: 'null' }, 'events[4].details: must be a JSON object'],
    [{ details: '"text"' }, 'events[4].details: must be a JSON object'],
    [{ action: 'a'.repeat(101) }, 'events[4].action: must be at most 100 characters'],
    [{ actorName: 'a'.repeat(201) }, 'events[4].actorName: must be at most 200 characters'],
    [{ resourceId: 'r'.repeat(201) }, 'events[4].resourceId: must be at most 200 characters'],
    [{ source: 's'.repeat(51) }, 'events[4].source: must be at most 50 characters'],
    [{ actorName: 'al\u0000ice' }, 'events[4].actorName: must not contain NUL characters'],
  ])('refuses %j naming the field', (change, message) => {
    expect(thrownBy(() => validateAuditEvent({ ...valid, ...change }, 4))).toEqual({
      code: status.INVALID_ARGUMENT,
      message,
    });
  });

  it('stores a client IP that is not an address as empty, keeping its text when no raw header came', () => {
    expect(
      validateAuditEvent({ ...valid, clientIp: '<script>x</script>', forwardedFor: '' }, 0),
    ).toMatchObject({
      clientIp: '',
      forwardedFor: '<script>x</script>',
    });
    const long = validateAuditEvent({ ...valid, clientIp: '1'.repeat(2048), forwardedFor: 'proxy text' }, 0);
    expect(long).toMatchObject({ clientIp: '', forwardedFor: 'proxy text' });
  });

  it('canonicalises the client IP (IPv4-mapped as IPv4, IPv6 compressed)', () => {
    expect(validateAuditEvent({ ...valid, clientIp: '::ffff:192.0.2.9' }, 0).clientIp).toBe('192.0.2.9');
    expect(validateAuditEvent({ ...valid, clientIp: '2001:DB8:0:0::7' }, 0).clientIp).toBe('2001:db8::7');
  });

  it('cuts an over-long raw header instead of refusing the event', () => {
    const row = validateAuditEvent({ ...valid, forwardedFor: `x\u0000${'y'.repeat(3000)}` }, 0);
    expect(row.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    expect(row.forwardedFor).toMatch(/^x\\x00y+\.\.\.\[cut, 3005 characters\]\.\.\./);
  });

  it('reads an event from a producer that predates forwardedFor as having no header', () => {
    const { forwardedFor: _absent, ...older } = valid;
    expect(validateAuditEvent(older as auditV1.AuditEvent, 0).forwardedFor).toBe('');
  });

  it('accepts values exactly at the column size', () => {
    expect(() =>
      validateAuditEvent({ ...valid, action: 'a'.repeat(100), actorId: 'u'.repeat(200) }, 0),
    ).not.toThrow();
  });
});

describe(validateAuditEvents.name, () => {
  it('names the index of the first bad event in a batch', () => {
    expect(thrownBy(() => validateAuditEvents([valid, { ...valid, action: '' }]))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'events[1].action: must not be empty',
    });
  });

  it('refuses a batch over the per-call maximum', () => {
    const events = Array.from({ length: MAX_EVENTS_PER_RECORD + 1 }, () => valid);
    expect(thrownBy(() => validateAuditEvents(events))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: `events: at most ${MAX_EVENTS_PER_RECORD} per call, got ${MAX_EVENTS_PER_RECORD + 1}`,
    });
  });
});
