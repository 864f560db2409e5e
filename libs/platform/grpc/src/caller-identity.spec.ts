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

  it('reads an anonymous caller when no metadata was sent', () => {
    expect(identityFromMetadata(undefined)).toEqual({
      userId: '',
      username: '',
      clientIp: '',
      permissions: [],
    });
  });
});
