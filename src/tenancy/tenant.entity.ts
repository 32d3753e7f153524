import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A tenant: one GenAuth userpool, identified by its id. Created on first use. */
@Entity('tenants')
export class TenantEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { nullable: true })
  name!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
