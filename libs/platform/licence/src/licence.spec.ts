import { createPrivateKey, sign } from 'node:crypto';

import { effectiveNodeLimit, NO_LICENCE_MESSAGE } from './effective-node-limit';
import { parseAndVerifyLicence, signLicence } from './licence';
import { signedBytes } from './licence-document';
import { LicenceError } from './licence-error';
import { generateTestLicenceKeys } from './testing/test-licence-keys';
import { TRUSTED_LICENCE_PUBLIC_KEY_PEM } from './trusted-licence-key';

const keys = generateTestLicenceKeys();
const otherKeys = generateTestLicenceKeys();

function refusal(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (error instanceof LicenceError) return error.message;
    throw error;
  }
  throw new Error('expected a LicenceError');
}

describe(parseAndVerifyLicence.name, () => {
  const sut = parseAndVerifyLicence;

  it('accepts a licence signed by the trusted key', () => {
    const xml = signLicence(
      { licensee: 'Acme & Co <EU>', nodeLimit: 3, expires: '2031-01-31' },
      keys.privateKeyPem,
    );

    expect(sut(xml, keys.publicKeyPem)).toEqual({
      licensee: 'Acme & Co <EU>',
      nodeLimit: 3,
      expires: '2031-01-31',
    });
    expect(xml).toContain('<Licensee>Acme &amp; Co &lt;EU&gt;</Licensee>');
  });

  it('reads Unlimited and tolerates whitespace around the document', () => {
    const xml = signLicence({ licensee: 'Big', nodeLimit: 'Unlimited' }, keys.privateKeyPem);

    expect(sut(`\n\n${xml}\n`, keys.publicKeyPem)).toEqual({ licensee: 'Big', nodeLimit: 'Unlimited' });
  });

  it('refuses a licence whose NodeLimit was raised after signing', () => {
    const xml = signLicence({ licensee: 'Acme', nodeLimit: 3 }, keys.privateKeyPem);
    const tampered = xml.replace('<NodeLimit>3</NodeLimit>', '<NodeLimit>30</NodeLimit>');
    expect(tampered).not.toBe(xml);

    expect(refusal(() => sut(tampered, keys.publicKeyPem))).toContain('signature does not match');
  });

  it('refuses a change in whitespace too: the signed bytes are exact', () => {
    const xml = signLicence({ licensee: 'Acme', nodeLimit: 3 }, keys.privateKeyPem);

    expect(refusal(() => sut(xml.replace('\n  <NodeLimit>', '\n <NodeLimit>'), keys.publicKeyPem))).toContain(
      'signature does not match',
    );
  });

  it('refuses a licence signed by another key, including against the production key', () => {
    const xml = signLicence({ licensee: 'Acme', nodeLimit: 3 }, otherKeys.privateKeyPem);

    expect(refusal(() => sut(xml, keys.publicKeyPem))).toContain('signature does not match');
    expect(refusal(() => sut(xml))).toContain('signature does not match');
    expect(refusal(() => sut(xml, TRUSTED_LICENCE_PUBLIC_KEY_PEM))).toContain('signature does not match');
  });

  it('names the missing element', () => {
    expect(refusal(() => sut('<License><Licensee>A</Licensee><NodeLimit>2</NodeLimit></License>'))).toBe(
      'licence has no <Signature> element',
    );
    const noLimit = signLicence({ licensee: 'Acme', nodeLimit: 2 }, keys.privateKeyPem);
    // Re-sign a document without <NodeLimit>, so the signature holds and the content is what fails.
    const unsigned = noLimit
      .replace('  <NodeLimit>2</NodeLimit>\n', '')
      .replace(/<Signature>[^<]*</, '<Signature><');
    const resigned = signDocument(unsigned);
    expect(refusal(() => sut(resigned, keys.publicKeyPem))).toBe('licence has no <NodeLimit>');
  });

  it('refuses malformed documents and values with a clear message', () => {
    expect(refusal(() => sut('not xml'))).toBe('licence is not a <License> XML document');
    expect(refusal(() => sut('<License><A x="1">v</A><Signature>x</Signature></License>'))).toContain(
      'simple <Name>value</Name> elements',
    );
    expect(
      refusal(() => sut('<License><A>1</A><A>2</A><Signature>x</Signature></License>', keys.publicKeyPem)),
    ).toBe('licence has more than one <A> element');
    expect(refusal(() => sut('<License><Signature>bm9wZQ==</Signature></License>', keys.publicKeyPem))).toBe(
      'licence <Signature> is not a base64 Ed25519 signature',
    );
    expect(refusal(() => signLicence({ licensee: 'A', nodeLimit: 0 }, keys.privateKeyPem))).toContain(
      '<NodeLimit> must be from 1',
    );
    expect(refusal(() => sut('<License></License>', 'not a key'))).toContain(
      'public licence key is not a PEM key',
    );
  });

  function signDocument(unsigned: string): string {
    // The same canonical bytes the verifier computes, signed with the test key.
    const signature = sign(null, signedBytes(unsigned), createPrivateKey(keys.privateKeyPem)).toString(
      'base64',
    );
    return unsigned.replace('<Signature></Signature>', `<Signature>${signature}</Signature>`);
  }
});

describe(effectiveNodeLimit.name, () => {
  const sut = effectiveNodeLimit;
  const now = new Date('2030-06-15T12:00:00Z');

  it('allows one node without a licence and says so', () => {
    expect(sut({ licenceXml: undefined })).toEqual({
      nodeLimit: 1,
      licence: undefined,
      problem: undefined,
      message: NO_LICENCE_MESSAGE,
      label: 'no licence',
    });
    expect(NO_LICENCE_MESSAGE).toBe('No licence: this cluster runs tasks on one node');
  });

  it('uses a valid licence and names it', () => {
    const licenceXml = signLicence(
      { licensee: 'Acme', nodeLimit: 2, expires: '2030-06-15' },
      keys.privateKeyPem,
    );

    expect(sut({ licenceXml }, { publicKeyPem: keys.publicKeyPem, now })).toMatchObject({
      nodeLimit: 2,
      problem: undefined,
      message: 'Licensed to Acme: node limit 2, valid until 2030-06-15',
      label: 'licence for Acme',
    });
  });

  it('treats a licence with a bad signature as none, loudly', () => {
    const licenceXml = signLicence({ licensee: 'Acme', nodeLimit: 5 }, otherKeys.privateKeyPem);

    const result = sut({ licenceXml }, { publicKeyPem: keys.publicKeyPem, now });

    expect(result).toMatchObject({ nodeLimit: 1, licence: undefined, label: 'no licence' });
    expect(result.problem).toContain('signature does not match');
    expect(result.message).toMatch(
      /^LICENCE REJECTED: licence signature does not match.*No licence: this cluster runs tasks on one node$/,
    );
  });

  it('treats an expired licence as none', () => {
    const licenceXml = signLicence(
      { licensee: 'Acme', nodeLimit: 5, expires: '2030-06-14' },
      keys.privateKeyPem,
    );

    expect(sut({ licenceXml }, { publicKeyPem: keys.publicKeyPem, now })).toMatchObject({
      nodeLimit: 1,
      problem: 'the licence for Acme expired on 2030-06-14',
    });
  });
});
