import type { auditV1 } from '@flotilla/contracts';

import { parseStreamRequest, recordedSettings } from './audit-stream-config';
import { receiverCertificates } from './stream-receivers.test-support';

const webhook: auditV1.SaveAuditStreamRequest = {
  id: '',
  name: 'SIEM',
  kind: 'webhook',
  enabled: true,
  target: 'https://siem.example.com/hook',
  secret: 'sixteen-chars-ok',
  caPem: '',
  facility: '',
  fromBeginning: false,
};

describe(parseStreamRequest.name, () => {
  it('takes an https webhook with its secret', () => {
    expect(parseStreamRequest(webhook, true)).toMatchObject({
      kind: 'webhook',
      secret: 'sixteen-chars-ok',
      caPem: null,
    });
  });

  it('refuses plain http and says why', () => {
    expect(() => parseStreamRequest({ ...webhook, target: 'http://siem.example.com/hook' }, true)).toThrow(
      /must be https: the events name who did what/,
    );
  });

  it('needs a secret of 16 characters to create a webhook, keeps the stored one on update', () => {
    expect(() => parseStreamRequest({ ...webhook, secret: '' }, true)).toThrow(/needs an HMAC secret/);
    expect(() => parseStreamRequest({ ...webhook, secret: 'short' }, true)).toThrow(/16 to 512 characters/);
    expect(parseStreamRequest({ ...webhook, secret: '' }, false).secret).toBeUndefined();
  });

  it('takes syslog host:port with a facility (local0 by default) and a PEM CA; refuses bad ones', () => {
    const { caPem } = receiverCertificates();
    const syslog = { ...webhook, kind: 'syslog', target: 'siem.example.com:6514', secret: '', caPem };
    expect(parseStreamRequest(syslog, true)).toMatchObject({
      facility: 'local0',
      caPem: `${caPem.trim()}\n`,
    });
    expect(() => parseStreamRequest({ ...syslog, target: 'siem.example.com' }, true)).toThrow(/host:port/);
    expect(() => parseStreamRequest({ ...syslog, facility: 'kern' }, true)).toThrow(/facility: one of/);
    expect(() => parseStreamRequest({ ...syslog, caPem: 'not a pem' }, true)).toThrow(
      /not a PEM certificate/,
    );
    expect(() => parseStreamRequest({ ...syslog, kind: 'kafka' }, true)).toThrow(/"webhook" or "syslog"/);
  });

  it('records the CA by fingerprint and never a secret', () => {
    const recorded = JSON.stringify(
      recordedSettings({
        id: 'x',
        name: 'n',
        kind: 'webhook',
        enabled: true,
        target: 't',
        secretSealed: 'enc:v1:zzz',
        caPem: 'PEM',
        facility: '',
      }),
    );
    expect(recorded).toContain('"ca":"sha256:');
    expect(recorded).not.toContain('enc:v1');
  });
});
