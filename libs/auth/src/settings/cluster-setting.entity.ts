import { Column, Entity, PrimaryColumn } from 'typeorm';

export const CLUSTER_SETTINGS_TABLE = 'cluster_settings';

/**
 * A cluster-wide setting changed through the API (one row per setting, its value as JSON text).
 * Kept in auth's database because the gateways already ask auth for every credential; the first
 * setting is the trusted proxies.
 */
@Entity(CLUSTER_SETTINGS_TABLE)
export class ClusterSettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  name!: string;

  /** JSON text. */
  @Column({ type: 'text' })
  value!: string;

  /** Database clock. */
  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;

  /** The username of who changed it. */
  @Column({ name: 'updated_by', type: 'varchar', length: 200 })
  updatedBy!: string;
}
