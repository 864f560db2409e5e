import { Metadata } from '@grpc/grpc-js';

import { FORWARDED_FOR_MAX_LENGTH } from './caller-identity-origin';
import { identityFromMetadata, identityToMetadata } from './caller-identity';

describe('caller identity metadata', () => {
  it('round-trips a user with non-ASCII name and permissions', () => {
    const identity = {
      userId: 'u1',
      username: 'Zoë Ødegaard',
      clientIp: '10.1.2.3',
      permissions: ['ProjectView', 'TaskCancel'],
    };
    expect(identityFromMetadata(identityToMetadata(identity))).toEqual(identity);
  });

  it('carries the request id and the caller token a service forwards onward', () => {
    const identity = {
      userId: 'u1',
      username: 'u',
      clientIp: '',
      permissions: [],
      requestId: '6f1c2a9e-0b1d-4c55-9a39-3f0a1f7c2d10',
      callerToken: 'header.payload.signature',
    };
    expect(identityFromMetadata(identityToMetadata(identity))).toEqual(identity);
    const odd = identityToMetadata({ ...identity, requestId: 'has spaces; and more' });
    expect(odd.get('x-flotilla-request-id')).toEqual([]);
  });

  it('carries scoped grants (absent vs empty restriction kept) from the verified token to the handler', () => {
    const identity = {
      userId: 'u1',
      username: 'u',
      clientIp: '',
      permissions: ['DeploymentCreate', 'ProjectView'],
      grants: [
        { permissions: ['DeploymentCreate' as const], projectIds: ['p-1'], environmentIds: [] },
        { permissions: ['ProjectView' as const] },
      ],
    };
    expect(identityFromMetadata(identityToMetadata(identity))).toEqual(identity);
    expect(identityFromMetadata(identityToMetadata({ ...identity, grants: [] })).grants).toEqual([]);
    // Ids beyond printable ASCII travel percent-encoded (grpc-js takes no other metadata text).
    const unicode = {
      ...identity,
      grants: [{ permissions: ['ProjectView' as const], projectIds: ['prøject-ü'] }],
    };
    const metadata = identityToMetadata(unicode);
    expect(metadata.get('x-flotilla-grants')[0]).toMatch(/^%5B/);
    expect(identityFromMetadata(metadata)).toEqual(unicode);
  });

  it('reads a grants value that is not grants as no grant at all, never as unrestricted', () => {
    for (const text of [
      '%7Bbroken',
      encodeURIComponent('{"permissions":[]}'),
      encodeURIComponent('[{"projectIds":["p"]}]'),
      '[{"projectIds":["p"]}]',
      '[{"permissions":[],"projectIds":"p"}]',
      '[broken',
    ]) {
      const metadata = new Metadata();
      metadata.set('x-flotilla-grants', text);
      expect(identityFromMetadata(metadata).grants).toEqual([]);
    }
  });

  it('reads an anonymous caller when no metadata was sent', () => {
    expect(identityFromMetadata(undefined)).toEqual({
      userId: '',
      username: '',
      clientIp: '',
      permissions: [],
    });
  });

  it('carries the raw X-Forwarded-For beside the client IP, escaped so gRPC accepts it', () => {
    const identity = {
      userId: '',
      username: '',
      clientIp: '::ffff:203.0.113.9',
      forwardedFor: '203.0.113.9,\t\u00e9',
      permissions: [],
    };
    const metadata = identityToMetadata(identity);
    expect(metadata.get('x-flotilla-forwarded-for')).toEqual(['203.0.113.9,\\x09\\xe9']);
    expect(identityFromMetadata(metadata)).toEqual({
      ...identity,
      clientIp: '203.0.113.9',
      forwardedFor: '203.0.113.9,\\x09\\xe9',
    });
  });

  it('does not trust what reached the port: a non-address client IP and a huge header are shaped', () => {
    const metadata = new Metadata();
    metadata.set('x-flotilla-client-ip', '<script>x</script>');
    metadata.set('x-flotilla-forwarded-for', 'f'.repeat(5000));
    const identity = identityFromMetadata(metadata);
    expect(identity.clientIp).toBe('');
    expect(identity.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    expect(identity.forwardedFor).toMatch(/\.\.\.\[cut, 5000 characters\]\.\.\./);
  });

  it('keeps the refused text of an older gateway as the raw header when none came with it', () => {
    const metadata = new Metadata();
    metadata.set('x-flotilla-client-ip', '<script>x</script>');
    expect(identityFromMetadata(metadata)).toMatchObject({
      clientIp: '',
      forwardedFor: '<script>x</script>',
    });
  });
});
