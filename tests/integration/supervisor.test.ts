// Several accounts, several workers: one broken account must not hold up the others, and the
// accounts of a killed worker move to the survivor without losing or duplicating rows.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterKeys } from '../../src/lib/server/crypto/keys';
import { hashPassword } from '../../src/lib/server/auth/password';
import { makeServices } from '../helpers/context';
import { startWorker } from '../helpers/process';
import { addAccountRow, newMailbox, withImap } from '../helpers/mailbox';
import { mailServers } from '../helpers/servers';
import { until } from '../helpers/wait';

const mail = mailServers();
const prefix = `sup${randomUUID().slice(0, 6)}`;

describe('supervisor', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix });
  const { db } = services;
  const keys = masterKeys(services.env);
  const accounts: { id: string; email: string; password: string; messages: number }[] = [];
  let tenantId: string;
  let userId: string;
  const workers: ReturnType<typeof startWorker>[] = [];

  async function mailbox(messages: number) {
    const box = newMailbox('sup');
    await withImap(box, async (c) => {
      for (let i = 0; i < messages; i++)
        await c.append(
          'INBOX',
          `From: a@example.test\r\nTo: ${box.email}\r\nSubject: n${i}\r\nMessage-ID: <${randomUUID()}@x>\r\n\r\nbody ${i}\r\n`
        );
    });
    return box;
  }

  const account = (email: string, password: string) =>
    addAccountRow(db, keys, { tenantId, userId }, { email, password });

  const inboxCount = async (accountId: string) => {
    const f = await db.folder.findFirst({ where: { accountId, specialUse: '\\Inbox' } });
    return f ? db.message.count({ where: { folderId: f.id } }) : -1;
  };

  beforeAll(async () => {
    const t = await db.tenant.create({ data: { slug: `sup-${randomUUID().slice(0, 8)}`, name: 'Sup' } });
    tenantId = t.id;
    userId = (
      await db.user.create({
        data: {
          tenantId,
          email: `o-${randomUUID().slice(0, 6)}@example.test`,
          passwordHash: await hashPassword('x-x-x-x-x-x')
        }
      })
    ).id;
    for (const n of [12, 7, 9]) {
      const box = await mailbox(n);
      accounts.push({ ...box, id: await account(box.email, box.password), messages: n });
    }
    // a fourth account whose stored password is wrong
    const bad = await mailbox(3);
    accounts.push({ ...bad, id: await account(bad.email, 'definitely-not-it'), messages: 3 });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await db.mailAccount.deleteMany({ where: { tenantId } });
    await services.close();
  });

  it('a wrong password on one account leaves the others syncing', async () => {
    workers.push(
      startWorker({
        QUEUE_PREFIX: prefix,
        IMAP_LEASE_SECONDS: '3',
        LOG_LEVEL: 'info',
        IMAP_SYNC_TENANTS: tenantId
      })
    );
    await workers[0]!.waitForLine((l) => l.includes('"worker ready"'));
    const good = accounts.slice(0, 3);
    const bad = accounts[3]!;
    await until(
      async () =>
        (await Promise.all(good.map(async (a) => (await inboxCount(a.id)) === a.messages))).every(Boolean),
      10_000,
      'the three good accounts to sync'
    );
    const row = await until(
      async () => {
        const r = await db.mailAccount.findUnique({ where: { id: bad.id } });
        return r?.syncState === 'error' ? r : null;
      },
      10_000,
      'the bad account to record its error'
    );
    expect(row.lastError).toBe(
      `The IMAP server at ${mail.host} did not accept the username or password. Check them (some providers need an app password).`
    );
    // the good ones reach (and stay in) the idle state while the bad one keeps failing
    await until(
      async () =>
        (await db.mailAccount.findMany({ where: { id: { in: good.map((a) => a.id) } } })).every(
          (a) => a.syncState === 'idle' && a.lastError === null
        ),
      5_000,
      'the good accounts to be idle'
    );
    expect(workers[0]!.lines.join('\n')).not.toContain(bad.password);
    for (const a of good) expect(workers[0]!.lines.join('\n')).not.toContain(a.password);
  });

  it("moves a killed worker's accounts to another worker, losing and duplicating nothing", async () => {
    workers.push(
      startWorker({
        QUEUE_PREFIX: prefix,
        IMAP_LEASE_SECONDS: '3',
        LOG_LEVEL: 'info',
        IMAP_SYNC_TENANTS: tenantId
      })
    );
    await workers[1]!.waitForLine((l) => l.includes('"worker ready"'));
    const claimed = (w: ReturnType<typeof startWorker>) =>
      new Set(
        w
          .records()
          .filter((r) => r.msg === 'account claimed')
          .map((r) => r.accountId as string)
      );
    expect(claimed(workers[1]!).size).toBe(0); // the first worker holds them all
    // new mail arrives while the first worker is killed
    const first = workers[0]!;
    first.proc.kill('SIGKILL');
    await first.exited;
    const target = accounts[0]!;
    await withImap(target, async (c) => {
      for (let i = 0; i < 4; i++)
        await c.append('INBOX', `Subject: after-kill ${i}\r\nMessage-ID: <${randomUUID()}@x>\r\n\r\nx\r\n`);
    });
    const t0 = Date.now();
    await until(
      async () => {
        const got = claimed(workers[1]!);
        return accounts.every((a) => got.has(a.id));
      },
      15_000,
      'the survivor to claim every account'
    );
    console.log(`accounts taken over ${Date.now() - t0} ms after the kill (lease 3 s)`);
    await until(async () => (await inboxCount(target.id)) === target.messages + 4, 10_000, 'the new mail');
    const folder = await db.folder.findFirstOrThrow({
      where: { accountId: target.id, specialUse: '\\Inbox' }
    });
    const uids = (await db.message.findMany({ where: { folderId: folder.id }, select: { uid: true } })).map(
      (m) => Number(m.uid)
    );
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids.sort((a, b) => a - b)).toEqual(Array.from({ length: target.messages + 4 }, (_, i) => i + 1));
  });
});
