// Creates (or resets) the demo login, an admin of the default tenant, and connects the demo
// mailboxes (alice and bob on the bundled Dovecot/Postfix) to it. Idempotent.
// Usage: DATABASE_URL=... ENCRYPTION_KEY=... SERVERS_ENV=... npx tsx scripts/demo-user.ts EMAIL PASSWORD
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../src/lib/server/auth/password.js';
import { sealSecret } from '../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../src/lib/server/crypto/keys.js';
import { createDb } from '../src/lib/server/db.js';
import { parseEnv } from '../src/lib/server/env.js';
import { mailServers } from '../tests/helpers/servers.js';

const [email, password] = process.argv.slice(2);
if (!email || !password) {
  console.error('usage: demo-user.ts EMAIL PASSWORD');
  process.exit(2);
}
const env = parseEnv(process.env);
const db = createDb(env.DATABASE_URL);
const tenant = await db.tenant.upsert({
  where: { slug: env.DEFAULT_TENANT_SLUG },
  create: { slug: env.DEFAULT_TENANT_SLUG, name: env.DEFAULT_TENANT_NAME },
  update: {}
});
const passwordHash = await hashPassword(password);
const user = await db.user.upsert({
  where: { tenantId_email: { tenantId: tenant.id, email } },
  create: { tenantId: tenant.id, email, displayName: 'Demo User', passwordHash, role: 'admin' },
  update: { passwordHash, disabled: false }
});

const mail = mailServers();
const keys = masterKeys(env);
for (const [address, name] of [
  ['alice@example.test', 'Alice (demo)'],
  ['bob@example.test', 'Bob (demo)']
] as const) {
  const existing = await db.mailAccount.findFirst({
    where: { tenantId: tenant.id, userId: user.id, email: address }
  });
  const id = existing?.id ?? randomUUID();
  const servers = {
    imapHost: mail.host,
    imapPort: mail.imapPort,
    imapTls: 'none' as const,
    smtpHost: mail.host,
    smtpPort: mail.submissionPort,
    smtpTls: 'none' as const,
    username: address,
    ...sealSecret(keys, id, mail.password)
  };
  // ports and the key may differ from the last run: always store the current ones
  if (existing) await db.mailAccount.update({ where: { id }, data: servers });
  else
    await db.mailAccount.create({
      data: {
        id,
        tenantId: tenant.id,
        userId: user.id,
        name,
        email: address,
        displayName: name.split(' ')[0],
        ...servers
      }
    });
}
await db.$disconnect();
console.error(`demo login ready: ${email} (mailboxes alice@example.test and bob@example.test connected)`);
