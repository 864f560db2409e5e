import { Column, Entity, Index, PrimaryColumn, ValueTransformer } from 'typeorm';

import type { PackageFormat } from '../file-names/package-file-name';

/** PostgreSQL returns bigint as a string; sizes stay far below 2^53. */
const bigintAsNumber: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | number | null) => (value === null ? value : Number(value)),
};

/** A package of the built-in feed; its file is `Packages/<fileName>` on shared storage. */
@Entity('packages')
@Index('ux_packages_id_version', ['packageId', 'version'], { unique: true })
export class PackageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'package_id', type: 'varchar', length: 100 })
  packageId!: string;

  @Column({ type: 'varchar', length: 50 })
  version!: string;

  @Column({ type: 'varchar', length: 10 })
  format!: PackageFormat;

  /** The stored name, derived from the validated id, version and format. */
  @Column({ name: 'file_name', type: 'varchar', length: 200 })
  fileName!: string;

  @Column({ name: 'size_bytes', type: 'bigint', transformer: bigintAsNumber })
  sizeBytes!: number;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ name: 'published_at', type: Date })
  publishedAt!: Date;

  @Column({ name: 'published_by', type: 'varchar', length: 200 })
  publishedBy!: string;
}
