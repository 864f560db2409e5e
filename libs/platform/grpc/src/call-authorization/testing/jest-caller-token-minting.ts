import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { CallerTokenMinter } from '../caller-token-minter';
import { CALLER_TOKEN_FOLDER } from '../caller-token-keys';
import { enableCallerTokenMinting } from '../client-caller-token';

/**
 * Jest setupFiles entry: test code that calls a service for a user plays the gateway (its process
 * identity is 'gateway' unless it declares another), so it signs caller tokens as the gateway
 * does, with the run's test PKI key (FLOTILLA_PKI_DIR, made by the global setup). Specs about
 * processes that cannot mint call disableCallerTokenMinting() themselves.
 */
const pkiDir = process.env['FLOTILLA_PKI_DIR'];
if (pkiDir && existsSync(join(pkiDir, CALLER_TOKEN_FOLDER, 'current'))) {
  enableCallerTokenMinting(CallerTokenMinter.fromPkiDir(pkiDir));
}
