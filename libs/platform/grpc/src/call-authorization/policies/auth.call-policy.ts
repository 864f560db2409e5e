import { Permission } from '@flotilla/api-interfaces';

import { gatewayUser, onTheirOwn, ServiceCallPolicies } from '../call-policy';

/**
 * AuthService: only the gateway talks to auth. Sign-in and token resolution come before there is
 * a user, so the gateway makes them on its own. API keys are always the token's own user's (the
 * request names no other user: auth takes the owner from the verified token), so ApiKeyEdit is
 * all they need; revoking someone else's key additionally needs AdministerSystem (checked in
 * ApiKeyService, which answers "not found" for a key the caller may not see).
 */
export const AUTH_CALL_POLICIES: ServiceCallPolicies = {
  Login: { callers: [onTheirOwn('gateway')], why: 'the gateway signs a user in' },
  Logout: { callers: [gatewayUser('signed-in')], why: 'a signed-in user ends their own session' },
  ValidateToken: {
    callers: [onTheirOwn('gateway')],
    why: 'the gateway resolves a presented session or API key before it knows the user',
  },
  CreateApiKey: {
    callers: [gatewayUser(Permission.ApiKeyEdit)],
    why: 'a user makes an API key for themselves',
  },
  ListApiKeys: { callers: [gatewayUser(Permission.ApiKeyEdit)], why: 'a user lists their own API keys' },
  RevokeApiKey: {
    callers: [gatewayUser(Permission.ApiKeyEdit)],
    why: "a user revokes their own key (another's: AdministerSystem, checked by auth)",
  },
  CreateUser: { callers: [gatewayUser(Permission.UserEdit)], why: 'an administrator creates an account' },
  ListUsers: { callers: [gatewayUser(Permission.UserView)], why: 'the users page' },
  ChangePassword: {
    callers: [onTheirOwn('gateway')],
    why: 'a user replaces their password with the current one, before they can have a session (a required change)',
  },
  DisableUser: {
    callers: [gatewayUser(Permission.UserEdit)],
    why: 'an administrator disables an account (not their own, not the last Administrator: checked by auth)',
  },
  EnableUser: { callers: [gatewayUser(Permission.UserEdit)], why: 'an administrator re-enables an account' },
  RevokeUserSessions: {
    callers: [gatewayUser(Permission.UserEdit)],
    why: 'an administrator ends every session of a user',
  },
  ResetUserPassword: {
    callers: [gatewayUser(Permission.UserEdit)],
    why: "an administrator sets a local account's password, to be changed at its next sign-in",
  },
  GetDirectorySyncStatus: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: "an administrator sees the directory sync's last run (checked again by auth)",
  },
  DiagnoseDirectorySignIn: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: "an administrator tests a user's directory sign-in path, no password (checked again and audited by auth)",
  },
  ListTeams: { callers: [gatewayUser(Permission.UserView)], why: 'the teams page (checked again by auth)' },
  GetTeam: {
    callers: [gatewayUser(Permission.UserView)],
    why: 'a team, its members and grants (checked again by auth)',
  },
  CreateTeam: {
    callers: [gatewayUser(Permission.UserEdit)],
    why: 'an administrator creates a team (checked again by auth)',
  },
  UpdateTeam: {
    callers: [gatewayUser(Permission.UserEdit)],
    why: "an administrator changes a team's members or grants (checked again by auth)",
  },
  DeleteTeam: {
    callers: [gatewayUser(Permission.UserEdit)],
    why: 'an administrator deletes a team (checked again by auth)',
  },
  GetTrustedProxies: {
    callers: [onTheirOwn('gateway'), gatewayUser(Permission.AdministerSystem)],
    why: 'every gateway follows the trusted proxies; an administrator reads the setting',
  },
  SetTrustedProxies: {
    callers: [gatewayUser(Permission.AdministerSystem)],
    why: 'an administrator changes the trusted proxies (checked again and audited by auth)',
  },
};
