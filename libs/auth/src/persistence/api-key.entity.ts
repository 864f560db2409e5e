import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A long-lived credential for scripts and CI; only the SHA-256 of the secret is stored. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 200 })
  purpose!: string;

  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt!: Date | null;

  /** Database time after which the key is refused like a revoked one; null: never expires. */
  @Column({ name: 'expires_at', type: Date, nullable: true })
  expiresAt!: Date | null;
}
