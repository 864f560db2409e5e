/** A licence that cannot be used: malformed, incomplete, signed by another key or tampered with. */
export class LicenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LicenceError';
  }
}
