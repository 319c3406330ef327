import type { Db } from './db.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type AuditAction =
  | 'auth.signup'
  | 'auth.login.success'
  | 'auth.login.failure'
  | 'auth.login.throttled'
  | 'auth.logout'
  | 'auth.password.change'
  | 'admin.invite'
  | 'admin.settings'
  | 'account.add'
  | 'account.edit'
  | 'account.remove'
  | 'sender.trust'
  | 'sender.untrust'
  | 'keys.rotate';

export interface AuditEntry {
  tenantId?: string | null;
  userId?: string | null;
  action: AuditAction;
  ip?: string | null;
  userAgent?: string | null;
  details?: Prisma.InputJsonObject;
}

export async function audit(db: Db | Prisma.TransactionClient, e: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      tenantId: e.tenantId ?? null,
      userId: e.userId ?? null,
      action: e.action,
      ip: e.ip ?? null,
      userAgent: e.userAgent?.slice(0, 300) ?? null,
      details: e.details ?? {}
    }
  });
}
