import { requestIdOf } from './request-id';

describe(requestIdOf.name, () => {
  it("keeps a proxy's plain X-Request-Id", () => {
    expect(requestIdOf({ headers: { 'x-request-id': 'lb-7f3a:42' } })).toBe('lb-7f3a:42');
  });

  it('makes a new UUID when there is none, or it is not a plain token', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(requestIdOf({ headers: {} })).toMatch(uuid);
    expect(requestIdOf({ headers: { 'x-request-id': 'a b\r\nInjected: yes' } })).toMatch(uuid);
    expect(requestIdOf({ headers: { 'x-request-id': 'x'.repeat(129) } })).toMatch(uuid);
    expect(requestIdOf({ headers: {} })).not.toBe(requestIdOf({ headers: {} }));
  });
});
