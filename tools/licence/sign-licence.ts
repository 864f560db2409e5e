/**
 * Signs a Flotilla licence with the Ed25519 private key and prints the XML:
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/licence/sign-licence.ts \
 *     --key private.pem --licensee "Acme Ltd" --node-limit 3 [--expires 2027-12-31]
 * Give the output to FLOTILLA_LICENCE (inline) or FLOTILLA_LICENCE_FILE.
 */
import { readFileSync } from 'node:fs';

import { LicenceError, signLicence } from '@flotilla/platform/licence';

import { parseSignLicenceArgs } from './sign-licence-args';

try {
  const { keyFile, licence } = parseSignLicenceArgs(process.argv.slice(2));
  process.stdout.write(`${signLicence(licence, readFileSync(keyFile, 'utf8'))}\n`);
} catch (error) {
  process.stderr.write(
    `${error instanceof LicenceError || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(2);
}
