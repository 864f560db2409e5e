import { Logger } from '@nestjs/common';

import { CallerTokenMinter, enableCallerTokenMinting } from '@flotilla/platform/grpc';

/**
 * Makes this process (the gateway) sign a caller token for every call it makes for a user: the
 * services take the user from that token only. The key is the PKI folder's current caller-token
 * key (FLOTILLA_PKI_DIR, made at first start with the certificates), followed through rotations
 * (the minter looks at caller-token/current every few seconds). A folder without the key stops
 * the start with the file named.
 */
export function enableGatewayCallerTokens(
  pkiDir: string | undefined = process.env['FLOTILLA_PKI_DIR'],
): void {
  const logger = new Logger('CallerTokens');
  if (!pkiDir) {
    // Without a PKI folder there is no mutual TLS either: the services refuse every call.
    logger.warn('FLOTILLA_PKI_DIR is not set: no caller tokens, so the services will take no user call');
    return;
  }
  const minter = CallerTokenMinter.fromPkiDir(pkiDir);
  enableCallerTokenMinting(minter);
  logger.log(`Signing caller tokens with key ${minter.kid}`);
}
