// Senders whose remote content a user always wants to see ("always show images from this
// sender"). Per user, not per account; every query carries the tenant and the user.
import { audit } from '../audit.js';
import type { Db } from '../db.js';

export interface SenderScope {
  tenantId: string;
  userId: string;
}

export interface AuditMeta {
  ip?: string | null;
  userAgent?: string | null;
}

/** Addresses compare case-insensitively in practice; they are stored lower-cased. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

export async function isTrustedSender(db: Db, scope: SenderScope, address: string): Promise<boolean> {
  const row = await db.trustedSender.findFirst({
    where: { tenantId: scope.tenantId, userId: scope.userId, address: normalizeAddress(address) },
    select: { id: true }
  });
  return row !== null;
}

/** Trusts a sender; trusting one twice is not an error. */
export async function trustSender(db: Db, scope: SenderScope, address: string, meta: AuditMeta = {}) {
  const a = normalizeAddress(address);
  await db.$transaction(async (tx) => {
    await tx.trustedSender.upsert({
      where: { tenantId_userId_address: { tenantId: scope.tenantId, userId: scope.userId, address: a } },
      create: { tenantId: scope.tenantId, userId: scope.userId, address: a },
      update: {}
    });
    await audit(tx, { ...scope, ...meta, action: 'sender.trust', details: { address: a } });
  });
  return { address: a, trusted: true as const };
}

/** Stops trusting a sender; untrusting one that was never trusted is not an error. */
export async function untrustSender(db: Db, scope: SenderScope, address: string, meta: AuditMeta = {}) {
  const a = normalizeAddress(address);
  await db.$transaction(async (tx) => {
    const { count } = await tx.trustedSender.deleteMany({
      where: { tenantId: scope.tenantId, userId: scope.userId, address: a }
    });
    if (count) await audit(tx, { ...scope, ...meta, action: 'sender.untrust', details: { address: a } });
  });
  return { address: a, trusted: false as const };
}
