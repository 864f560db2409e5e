import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { assertValidPackageRef, parsePackageFileName } from './package-file-name';

function rejection(action: () => unknown): { code: unknown; message: unknown } {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RpcException);
    return (error as RpcException).getError() as { code: unknown; message: unknown };
  }
  throw new Error('expected the call to throw');
}

describe(parsePackageFileName.name, () => {
  it.each([
    ['Acme.Web.1.2.3.zip', 'Acme.Web', '1.2.3', 'zip', 'Acme.Web.1.2.3.zip'],
    ['app.1.0.0.tar.gz', 'app', '1.0.0', 'tar.gz', 'app.1.0.0.tar.gz'],
    ['app.1.0.0.tgz', 'app', '1.0.0', 'tar.gz', 'app.1.0.0.tar.gz'],
    ['My_App-2.10.20.30.40.zip', 'My_App-2', '10.20.30.40', 'zip', 'My_App-2.10.20.30.40.zip'],
    ['Acme.Web.Api.1.2.3.4.zip', 'Acme.Web.Api', '1.2.3.4', 'zip', 'Acme.Web.Api.1.2.3.4.zip'],
    ['Acme.1.2.3-beta.1.zip', 'Acme', '1.2.3-beta.1', 'zip', 'Acme.1.2.3-beta.1.zip'],
    ['Acme.Web.1.2.3.ZIP', 'Acme.Web', '1.2.3', 'zip', 'Acme.Web.1.2.3.zip'],
  ])('parses %j', (fileName, packageId, version, format, storedFileName) => {
    expect(parsePackageFileName(fileName)).toEqual({ packageId, version, format, storedFileName });
  });

  it.each([
    '',
    'Acme.Web.zip',
    'Acme.Web.1.2.zip',
    'Acme.Web.1.2.3',
    'Acme.Web.1.2.3.rar',
    '1.2.3.zip',
    '.hidden.1.2.3.zip',
    '-dash.1.2.3.zip',
    'Acme..Web.1.2.3.zip',
    'Acme Web.1.2.3.zip',
    '../etc.1.2.3.zip',
    '../../Packages/evil.1.2.3.zip',
    'sub/dir.1.2.3.zip',
    'sub\\dir.1.2.3.zip',
    '/abs.1.2.3.zip',
    'nul\0byte.1.2.3.zip',
    'Acme.1.2.3-.zip',
    'Acme.1.2.3-beta..1.zip',
    `${'a'.repeat(101)}.1.2.3.zip`,
  ])('refuses %j with INVALID_ARGUMENT naming the expected form', (fileName) => {
    const error = rejection(() => parsePackageFileName(fileName));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.message).toContain('expected "<id>.<version>.zip"');
  });
});

describe(assertValidPackageRef.name, () => {
  it('accepts a dotted id and a pre-release version', () => {
    expect(() => assertValidPackageRef({ packageId: 'Acme.Web', version: '1.2.3-rc.2' })).not.toThrow();
  });

  it.each([
    { packageId: '..', version: '1.2.3' },
    { packageId: 'a/b', version: '1.2.3' },
    { packageId: 'Acme', version: '../1.2.3' },
    { packageId: 'Acme', version: '1.2' },
    { packageId: '', version: '' },
  ])('refuses %j', (ref) => {
    expect(rejection(() => assertValidPackageRef(ref)).code).toBe(status.INVALID_ARGUMENT);
  });
});
