// Creates (or resets) the demo login: an admin of the default tenant. Idempotent.
// Usage: DATABASE_URL=... npx tsx scripts/demo-user.ts EMAIL PASSWORD
import { hashPassword } from '../src/lib/server/auth/password.js';
import { createDb } from '../src/lib/server/db.js';

const [email, password] = process.argv.slice(2);
if (!email || !password) {
  console.error('usage: demo-user.ts EMAIL PASSWORD');
  process.exit(2);
}
const db = createDb(process.env.DATABASE_URL!);
const slug = process.env.DEFAULT_TENANT_SLUG || 'default';
const tenant = await db.tenant.upsert({
  where: { slug },
  create: { slug, name: process.env.DEFAULT_TENANT_NAME || 'Default organisation' },
  update: {}
});
const passwordHash = await hashPassword(password);
await db.user.upsert({
  where: { tenantId_email: { tenantId: tenant.id, email } },
  create: { tenantId: tenant.id, email, displayName: 'Demo User', passwordHash, role: 'admin' },
  update: { passwordHash, disabled: false }
});
await db.$disconnect();
console.error(`demo login ready: ${email}`);
