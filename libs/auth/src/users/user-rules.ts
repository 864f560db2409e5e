import { ALL_ROLES, Role } from '@flotilla/api-interfaces';
import { RpcErrors } from '@flotilla/platform/grpc';

export const USERNAME_MAX_LENGTH = 100;
export const DISPLAY_NAME_MAX_LENGTH = 200;
export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase; bounds the work one request can ask of the KDF. */
export const PASSWORD_MAX_LENGTH = 1024;

const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,100}$/;

/** Usernames are unique regardless of case: "Admin" and "admin" are one account. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}

/** Why a username is unacceptable, or undefined when it is fine. */
export function usernameProblem(username: string): string | undefined {
  if (USERNAME_PATTERN.test(username)) return undefined;
  return `Username must be 1 to ${USERNAME_MAX_LENGTH} characters of letters, digits, '.', '_', '@' or '-'`;
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH)
    return `Password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH)
    return `Password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}

export interface NewAccount {
  username: string;
  displayName: string;
  password: string;
  roles: Role[];
}

/** Checks a user-creation request and returns it cleaned up, or throws INVALID_ARGUMENT naming the problem. */
export function validateNewAccount(input: {
  username: string;
  displayName: string;
  password: string;
  roles: readonly string[];
}): NewAccount {
  const username = input.username.trim();
  const problem = usernameProblem(username) ?? passwordProblem(input.password);
  if (problem) throw RpcErrors.invalidArgument(problem);
  const displayName = input.displayName.trim() || username;
  if (displayName.length > DISPLAY_NAME_MAX_LENGTH) {
    throw RpcErrors.invalidArgument(`Display name must be at most ${DISPLAY_NAME_MAX_LENGTH} characters`);
  }
  const unknown = input.roles.filter((role) => !(ALL_ROLES as readonly string[]).includes(role));
  if (unknown.length > 0) {
    throw RpcErrors.invalidArgument(
      `Unknown role(s) ${unknown.join(', ')}; known roles are ${ALL_ROLES.join(', ')}`,
    );
  }
  const roles = ALL_ROLES.filter((role) => input.roles.includes(role));
  return { username, displayName, password: input.password, roles };
}
