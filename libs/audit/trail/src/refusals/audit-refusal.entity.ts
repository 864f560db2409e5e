import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One event the audit service refused (migration CreateAuditRefusals1764200000250). */
@Entity('audit_refusals')
export class AuditRefusalEntity {
  /** SHA-256 (hex) of the source and the event id as sent. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 200 })
  eventId!: string;

  @Column({ type: 'varchar', length: 64 })
  source!: string;

  @Column({ type: 'varchar', length: 200 })
  action!: string;

  @Column({ type: 'varchar', length: 1000 })
  reason!: string;

  @Column({ name: 'event_json', type: 'text' })
  eventJson!: string;

  @Column({ name: 'first_refused_at', type: Date })
  firstRefusedAt!: Date;

  @Column({ name: 'last_refused_at', type: Date })
  lastRefusedAt!: Date;

  @Column({ type: 'int' })
  times!: number;
}
