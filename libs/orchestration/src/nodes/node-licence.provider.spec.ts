import {
  EffectiveLicence,
  effectiveNodeLimit,
  generateTestLicenceKeys,
  signLicence,
} from '@flotilla/platform/licence';

import { DailyLicence } from './node-licence.provider';

describe(DailyLicence.name, () => {
  const keys = generateTestLicenceKeys();
  const licenceXml = signLicence(
    { licensee: 'Acme', nodeLimit: 3, expires: '2026-11-27' },
    keys.privateKeyPem,
  );
  const judge = (now: Date) => effectiveNodeLimit({ licenceXml }, { now, publicKeyPem: keys.publicKeyPem });

  function setup(start: string) {
    let now = new Date(start);
    const announced: EffectiveLicence[] = [];
    const sut = new DailyLicence(
      judge,
      () => now,
      (licence) => announced.push(licence),
    );
    return { sut, announced, moveTo: (at: string) => (now = new Date(at)) };
  }

  it('keeps the node limit through the last day of validity', () => {
    const { sut, announced, moveTo } = setup('2026-11-27T08:00:00Z');
    moveTo('2026-11-27T23:59:59Z');
    expect(sut.current()).toMatchObject({ nodeLimit: 3, label: 'licence for Acme' });
    expect(announced).toHaveLength(1);
  });

  it('falls back to one node at midnight after the expiry, without a restart, and says so once', () => {
    const { sut, announced, moveTo } = setup('2026-11-27T23:00:00Z');
    moveTo('2026-11-28T00:00:01Z');
    expect(sut.current()).toMatchObject({ nodeLimit: 1, label: 'no licence' });
    sut.current();
    expect(announced.map((licence) => licence.problem)).toEqual([
      undefined,
      'the licence for Acme expired on 2026-11-27',
    ]);
  });
});
