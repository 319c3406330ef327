// The sync worker when the server changes under it: a folder's UIDVALIDITY changes, and
// Dovecot restarts. Both against the real local Dovecot.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { masterKeys } from '../../src/lib/server/crypto/keys';
import { makeServices } from '../helpers/context';
import { startWorker } from '../helpers/process';
import { addAccountRow, newMailbox, withImap } from '../helpers/mailbox';
import { mailServers } from '../helpers/servers';
import { until } from '../helpers/wait';

const mail = mailServers();
const prefix = `res${randomUUID().slice(0, 6)}`;
const dovecotConf = join(process.env.SERVERS_DIR!, 'dovecot', 'dovecot.conf');

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: mail.host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('sync resilience', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix });
  const { db } = services;
  const box = newMailbox('res');
  const { email } = box;
  let worker: ReturnType<typeof startWorker>;
  let accountId: string;

  beforeAll(async () => {
    await withImap(box, async (c) => {
      await c.mailboxCreate('Receipts');
      for (let i = 1; i <= 6; i++)
        await c.append(
          'Receipts',
          `Subject: receipt ${i}\r\nMessage-ID: <${randomUUID()}@x>\r\n\r\nx\r\n`,
          i % 2 ? ['\\Seen'] : []
        );
    });
    const tenant = await db.tenant.create({ data: { slug: `res-${randomUUID().slice(0, 8)}`, name: 'Res' } });
    const user = await db.user.create({
      data: {
        tenantId: tenant.id,
        email: `o-${randomUUID().slice(0, 6)}@example.test`,
        passwordHash: await hashPassword('x-x-x-x-x-x')
      }
    });
    accountId = await addAccountRow(
      db,
      masterKeys(services.env),
      { tenantId: tenant.id, userId: user.id },
      box
    );
    worker = startWorker({ QUEUE_PREFIX: prefix, IMAP_RESYNC_SECONDS: '5', IMAP_SYNC_TENANTS: tenant.id });
    await worker.waitForLine((l) => l.includes('"worker ready"'));
    await until(
      async () => {
        const f = await db.folder.findFirst({ where: { accountId, path: 'Receipts' } });
        return f && (await db.message.count({ where: { folderId: f.id } })) === 6;
      },
      10_000,
      'Receipts to sync'
    );
  });

  afterAll(async () => {
    await worker?.stop();
    await services.close();
  });

  it('resyncs a folder whose UIDVALIDITY changed, keeping exactly what the server has', async () => {
    const before = await db.folder.findFirstOrThrow({ where: { accountId, path: 'Receipts' } });
    const newValidity = Number(before.uidValidity) + 1000;
    execFileSync('doveadm', [
      '-c',
      dovecotConf,
      'mailbox',
      'update',
      '-u',
      email,
      '--uid-validity',
      String(newValidity),
      'Receipts'
    ]);
    const after = await until(
      async () => {
        const f = await db.folder.findFirst({ where: { accountId, path: 'Receipts' } });
        return f && Number(f.uidValidity) === newValidity ? f : null;
      },
      15_000,
      'the new UIDVALIDITY to be seen'
    );
    const rows = await db.message.findMany({ where: { folderId: after.id }, orderBy: { uid: 'asc' } });
    expect(rows.map((r) => r.subject)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `receipt ${i}`));
    expect(rows.every((r) => Number(r.uidValidity) === newValidity)).toBe(true);
    expect(rows.filter((r) => r.seen).length).toBe(3);
    expect(after).toMatchObject({ total: 6, unread: 3 });
  });

  it('reconnects after Dovecot restarts, and new mail flows again', async () => {
    execFileSync('doveadm', ['-c', dovecotConf, 'stop']);
    await until(
      async () =>
        (await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).syncState === 'error',
      10_000,
      'the account to notice'
    );
    const down = await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(down.lastError).toMatch(/IMAP/);
    // start the same instance again, on the same ports, once the old one has let go of them
    await until(async () => !(await listening(mail.imapPort)), 10_000, 'Dovecot to stop');
    // dovecot daemonizes: its children keep inherited pipes open, so give it none
    execFileSync('dovecot', ['-c', dovecotConf], { stdio: 'ignore' });
    await until(
      async () => (await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).syncState === 'idle',
      20_000,
      'the account to reconnect'
    );
    const subject = `after restart ${randomUUID()}`;
    const t = nodemailer.createTransport({
      host: mail.host,
      port: mail.smtpPort,
      secure: false,
      ignoreTLS: true
    });
    await t.sendMail({ from: 'x@example.test', to: email, subject, text: 'back' });
    t.close();
    await until(async () => db.message.findFirst({ where: { accountId, subject } }), 10_000, 'the new mail');
    expect((await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).lastError).toBeNull();
  });
});
