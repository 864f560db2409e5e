/** A directory group the user belongs to. */
export interface DirectoryGroup {
  /** objectSid (S-1-5-...) for AD; entryUUID, else the DN, for generic LDAP. Survives renames and moves. */
  id: string;
  dn: string;
  name: string;
}

/** Who signed in, as the directory describes them. */
export interface DirectoryUser {
  /** objectGUID (AD) or entryUUID (generic LDAP), lower case: the same person after any rename. */
  externalId: string;
  dn: string;
  /** sAMAccountName (AD) or uid (generic LDAP), in the directory's own letter case. */
  accountName: string;
  /** userPrincipalName, when the directory has one. */
  principalName?: string;
  displayName: string;
  /** Direct, nested and (AD) primary groups, each once. */
  groups: DirectoryGroup[];
  /** The controller that answered, for diagnostics and logs. */
  answeredBy: string;
}
