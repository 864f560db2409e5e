import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A signed-in browser or client. The token itself is never stored, only its SHA-256. */
@Entity({ name: 'sessions' })
export class SessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  /** Database time; compared with the database clock on every node. */
  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;

  @Column({ name: 'last_seen_at', type: Date })
  lastSeenAt!: Date;
}
