/**
 * The Ed25519 public key this build trusts to sign licences. Its private half is held by the
 * release managers and never enters the repository; tests sign with a key pair of their own and
 * pass its public half explicitly (there is deliberately no environment variable to swap it).
 */
export const TRUSTED_LICENCE_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAoMayhHhH6KPid85o7QLsj28qn5ujXkOy0bsLBbRuDTs=
-----END PUBLIC KEY-----
`;
