import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where an account's password is checked: here (local) or by the configured directory (AD / LDAP). */
export type UserSource = 'local' | 'directory';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** As the user typed it when the account was made. */
  @Column({ type: 'varchar', length: 100 })
  username!: string;

  /**
   * Lower case (set by UsersRepository only); unique, so usernames differing only in case are one
   * account on every database, whatever its collation.
   */
  @Column({ name: 'username_normalized', type: 'varchar', length: 100 })
  usernameNormalized!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 200 })
  displayName!: string;

  /** scrypt$...; null for accounts whose password lives elsewhere (directory accounts). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash!: string | null;

  /** JSON array of role names. */
  @Column({ type: 'text' })
  roles!: string;

  @Column({ name: 'is_active', type: Boolean })
  isActive!: boolean;

  @Column({ type: 'varchar', length: 20 })
  source!: UserSource;

  /**
   * A directory account's immutable id in the directory (AD objectGUID, LDAP entryUUID, lower
   * case); null for local accounts. Unique where present: renames keep the same user.
   */
  @Column({ name: 'external_id', type: 'varchar', length: 100, nullable: true })
  externalId!: string | null;

  /** Sign-in is refused until the password is changed (an administrator made with a generated one). */
  @Column({ name: 'must_change_password', type: Boolean, default: false })
  mustChangePassword!: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
