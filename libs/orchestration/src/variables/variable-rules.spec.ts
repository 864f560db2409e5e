import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { keepSensitiveValues, maskSensitive, validateVariables } from './variable-rules';

const variable = (name: string, value = 'v', environmentIds: string[] = [], isSensitive = false) => ({
  name,
  value,
  environmentIds,
  isSensitive,
});

describe(validateVariables.name, () => {
  it('trims names and normalises environment scopes', () => {
    expect(validateVariables([variable(' Port ', '80', ['e2', 'e1', 'e2', ' '])])).toEqual([
      variable('Port', '80', ['e1', 'e2']),
    ]);
  });

  it('refuses an empty name and a duplicate name in the same scope', () => {
    for (const input of [[variable('  ')], [variable('Port', '1', ['e1']), variable('port', '2', ['e1'])]]) {
      try {
        validateVariables(input);
        throw new Error('expected a rejection');
      } catch (error) {
        expect(error).toBeInstanceOf(RpcException);
        expect((error as RpcException).getError()).toMatchObject({ code: status.INVALID_ARGUMENT });
      }
    }
  });

  it('allows one name with different scopes', () => {
    expect(validateVariables([variable('Port', '1'), variable('Port', '2', ['e1'])])).toHaveLength(2);
  });
});

describe(maskSensitive.name, () => {
  it('blanks only sensitive values', () => {
    expect(
      maskSensitive([variable('A', 'x'), variable('B', 'secret', [], true)]).map((v) => v.value),
    ).toEqual(['x', '']);
  });
});

describe(keepSensitiveValues.name, () => {
  it('keeps a stored secret sent back blank, and takes a new secret as given', () => {
    const stored = [variable('Password', 'old', ['e1'], true)];
    const sut = keepSensitiveValues(
      [variable('Password', '', ['e1'], true), variable('Token', 'new', [], true)],
      stored,
    );
    expect(sut.map((v) => v.value)).toEqual(['old', 'new']);
  });
});
