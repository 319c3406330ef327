// An organisation's admin settings, stored as JSON on Tenant.settings and parsed here.
import { z } from 'zod';
import type { Db } from '../db.js';

export const tlsModeSchema = z.enum(['tls', 'starttls', 'none']);

export const hostSchema = z
  .string()
  .trim()
  .min(1, 'Enter the server name.')
  .max(253)
  .regex(
    /^[A-Za-z0-9.-]+$|^\[?[0-9a-fA-F:.]+\]?$/,
    'Enter a host name like imap.example.com or an IP address.'
  );

export const serverSchema = z.object({
  host: hostSchema,
  port: z.number().int().min(1, 'Ports run from 1 to 65535.').max(65535, 'Ports run from 1 to 65535.'),
  tls: tlsModeSchema
});
export type ServerSettings = z.infer<typeof serverSchema>;

export const tenantSettingsSchema = z.object({
  defaultImap: serverSchema.nullable().default(null),
  defaultSmtp: serverSchema.nullable().default(null),
  /** Let members use mail servers without TLS beyond this machine (e.g. a compose network). */
  allowInsecureMailServers: z.boolean().default(false)
});
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export async function tenantSettings(db: Db, tenantId: string): Promise<TenantSettings> {
  const t = await db.tenant.findUnique({ where: { id: tenantId }, select: { settings: true } });
  const parsed = tenantSettingsSchema.safeParse(t?.settings ?? {});
  return parsed.success ? parsed.data : tenantSettingsSchema.parse({});
}
