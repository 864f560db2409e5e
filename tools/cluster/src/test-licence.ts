import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { generateTestLicenceKeys, NodeLimit, signLicence } from '@flotilla/platform/licence';

export interface TestLicence {
  nodeLimit: NodeLimit;
  /** The signed licence XML, passed to every service as FLOTILLA_LICENCE. */
  licenceXml: string;
  /** PEM file of the public key the test orchestrator entry point trusts. */
  publicKeyFile: string;
}

/**
 * TEST ONLY: a licence signed with a key pair made now. Production orchestrators trust only the
 * build's key, so a cluster using this starts its orchestrators through the test entry point
 * (libs/orchestration/src/testing/orchestrator-test-main.ts) trusting this public key.
 */
export async function createTestLicence(dataDir: string, nodeLimit: NodeLimit): Promise<TestLicence> {
  const keys = generateTestLicenceKeys();
  const publicKeyFile = join(dataDir, 'test-licence-public.pem');
  await writeFile(publicKeyFile, keys.publicKeyPem);
  const licenceXml = signLicence({ licensee: 'Flotilla test cluster', nodeLimit }, keys.privateKeyPem);
  return { nodeLimit, licenceXml, publicKeyFile };
}
