import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The current variables of a project; releases snapshot them. */
@Entity({ name: 'variable_sets' })
export class VariableSetEntity {
  @PrimaryColumn({ name: 'project_id', type: 'varchar', length: 36 })
  projectId!: string;

  @Column({ type: 'int' })
  version!: number;

  /** JSON array of Variable (sensitive values included; never sent back to users). */
  @Column({ type: 'text' })
  variables!: string;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
