// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill
// loaded first; every file of this lib takes x509 from here so the order always holds.
import 'reflect-metadata';

import { webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

// It also needs a WebCrypto; node:crypto's is a complete one.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
