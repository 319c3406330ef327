// Mail accounts against the real local Dovecot and Postfix: each failure mode gets its own
// actionable message, secrets are sealed and never returned, and other tenants cannot reach them.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecret } from '../../src/lib/server/crypto/envelope';
import { masterKeys } from '../../src/lib/server/crypto/keys';
import { controlChannel } from '../../src/lib/server/realtime/events';
import { createRedis } from '../../src/lib/server/redis';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { freePort } from '../helpers/process';
import { mailServers } from '../helpers/servers';
import { errorOf } from '../helpers/wait';

const PASSWORD = 'correct horse battery staple';

describe('mail accounts', () => {
  const mail = mailServers();
  const services = makeServices({ ALLOW_SIGNUP: 'true', IMAP_TIMEOUT: '2', SMTP_TIMEOUT: '2' });
  const imap = { host: mail.host, port: mail.imapPort, tls: 'none' as const };
  const smtp = { host: mail.host, port: mail.submissionPort, tls: 'none' as const };
  const alice = mail.users.find((u) => u.startsWith('alice'))!;
  const bob = mail.users.find((u) => u.startsWith('bob'))!;
  let me: ReturnType<typeof client>;
  let silent: Server;
  let silentPort: number;
  let ownerId: string;

  beforeAll(async () => {
    me = client(services);
    const { user } = await (
      await me.caller()
    ).auth.signup({ email: uniqueEmail('owner'), password: PASSWORD });
    ownerId = user.id;
    // the owner administers a tenant of their own, whatever else the database holds
    const tenant = await services.db.tenant.create({
      data: { slug: `acct-${user.id.slice(0, 8)}`, name: 'Accounts' }
    });
    await services.db.user.update({ where: { id: user.id }, data: { role: 'admin', tenantId: tenant.id } });
    await services.db.session.updateMany({ where: { userId: user.id }, data: { tenantId: tenant.id } });
    // a server that accepts connections and never says a word: for the timeout case
    silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    silent.close();
    await services.close();
  });

  it('adds an account after checking both logins, and seals the password', async () => {
    const control = createRedis(services.env.REDIS_URL);
    const messages: string[] = [];
    await control.subscribe(controlChannel(services.env.QUEUE_PREFIX));
    control.on('message', (_c, m) => messages.push(m));

    const c = await me.caller();
    const account = await c.accounts.add({
      email: alice,
      password: mail.password,
      name: 'Alice',
      imap,
      smtp
    });
    expect(account).toMatchObject({ email: alice, name: 'Alice', imapHost: mail.host, syncState: 'pending' });
    expect(JSON.stringify(account)).not.toContain(mail.password);
    expect(Object.keys(account)).not.toContain('secretCiphertext');

    const row = await services.db.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
    expect(Buffer.from(row.secretCiphertext).includes(Buffer.from(mail.password))).toBe(false);
    expect(row.keyId).toBe(services.env.ENCRYPTION_KEY_ID);
    expect(openSecret(masterKeys(services.env), row.id, row)).toBe(mail.password);

    const listed = await c.accounts.list();
    expect(listed.map((a) => a.email)).toEqual([alice]);
    expect(JSON.stringify(listed)).not.toContain(mail.password);

    await new Promise((r) => setTimeout(r, 200));
    expect(messages.map((m) => JSON.parse(m))).toContainEqual({
      type: 'AccountsChanged',
      accountId: account.id
    });
    control.disconnect();

    const dup = await errorOf(c.accounts.add({ email: alice, password: mail.password, imap, smtp }));
    expect(dup.code).toBe('CONFLICT');
  });

  it('says which login failed and why, for each failure mode', async () => {
    const c = await me.caller();
    const add = (over: object) =>
      errorOf(c.accounts.add({ email: bob, password: mail.password, imap, smtp, ...over }));

    const wrong = await add({ password: 'not-the-password' });
    expect(wrong.code).toBe('BAD_REQUEST');
    expect(wrong.message).toMatch(
      /^The (IMAP|SMTP) server at 127\.0\.0\.1 did not accept the username or password/
    );
    expect(wrong.message).not.toContain('not-the-password');

    const dns = await add({ imap: { ...imap, host: 'no-such-host.invalid', tls: 'tls' } });
    expect(dns.message).toBe(
      'The IMAP server name "no-such-host.invalid" could not be found. Check the spelling of the host name.'
    );

    const closed = await freePort();
    const refused = await add({ smtp: { ...smtp, port: closed } });
    expect(refused.message).toMatch(
      new RegExp(`^Nothing accepts SMTP connections at 127\\.0\\.0\\.1:${closed}\\.`)
    );

    const tls = await add({ imap: { ...imap, tls: 'tls' } });
    expect(tls.message).toMatch(
      /^A secure connection to the IMAP server at 127\.0\.0\.1:\d+ could not be set up/
    );

    const slow = await add({ imap: { ...imap, port: silentPort } });
    expect(slow.message).toBe(
      `The IMAP server at 127.0.0.1:${silentPort} did not answer within 2 s. Check the host and port, and that a firewall lets the connection through.`
    );

    expect(await services.db.mailAccount.count({ where: { email: bob, userId: ownerId } })).toBe(0);
  });

  it('refuses an unencrypted server beyond this machine unless an admin allows it', async () => {
    const c = await me.caller();
    const e = await errorOf(
      c.accounts.add({
        email: bob,
        password: mail.password,
        imap: { ...imap, host: 'mail.example.com' },
        smtp
      })
    );
    expect(e.message).toMatch(/without TLS would send your password in the clear/);
    await c.admin.setMailDefaults({ defaultImap: null, defaultSmtp: null, allowInsecureMailServers: true });
    const dns = await errorOf(
      c.accounts.add({ email: bob, password: mail.password, imap: { ...imap, host: 'mail.invalid' }, smtp })
    );
    expect(dns.message).toMatch(/could not be found/); // it got as far as connecting
    await c.admin.setMailDefaults({ defaultImap: null, defaultSmtp: null, allowInsecureMailServers: false });
  });

  it("uses the organisation's default servers when the user gives only address and password", async () => {
    const c = await me.caller();
    const none = await errorOf(c.accounts.add({ email: bob, password: mail.password }));
    expect(none.message).toMatch(/has no default mail server/);
    await c.admin.setMailDefaults({ defaultImap: imap, defaultSmtp: smtp, allowInsecureMailServers: false });
    const acct = await c.accounts.add({ email: bob, password: mail.password });
    expect(acct).toMatchObject({ imapPort: mail.imapPort, smtpPort: mail.submissionPort, username: bob });
  });

  it('edits the name without a password, and re-checks the login when it changes', async () => {
    const c = await me.caller();
    const [a] = (await c.accounts.list()).filter((x) => x.email === alice);
    const renamed = await c.accounts.edit({ accountId: a!.id, name: 'Work' });
    expect(renamed.name).toBe('Work');
    const e = await errorOf(c.accounts.edit({ accountId: a!.id, password: 'wrong-password-x' }));
    expect(e.message).toMatch(/did not accept the username or password/);
    const before = await services.db.mailAccount.findUniqueOrThrow({ where: { id: a!.id } });
    expect(openSecret(masterKeys(services.env), a!.id, before)).toBe(mail.password);
  });

  it('keeps accounts private to their owner and tenant', async () => {
    const stranger = client(services);
    await (await stranger.caller()).auth.signup({ email: uniqueEmail('stranger'), password: PASSWORD });
    const s = await stranger.caller();
    const [a] = await (await me.caller()).accounts.list();
    expect(await s.accounts.list()).toEqual([]);
    expect((await errorOf(s.accounts.edit({ accountId: a!.id, name: 'mine now' }))).code).toBe('NOT_FOUND');
    expect((await errorOf(s.accounts.remove({ accountId: a!.id }))).code).toBe('NOT_FOUND');
    // a member of the same tenant is not an admin: no access to the tenant's settings either
    expect((await errorOf(s.admin.getMailDefaults())).code).toBe('FORBIDDEN');
  });

  it('removes an account with its cached folders and messages', async () => {
    const c = await me.caller();
    const [a] = await c.accounts.list();
    const folder = await services.db.folder.create({
      data: { tenantId: await tenantOf(a!.id), accountId: a!.id, path: 'INBOX', name: 'Inbox' }
    });
    await services.db.message.create({
      data: {
        tenantId: folder.tenantId,
        accountId: a!.id,
        folderId: folder.id,
        uidValidity: 1n,
        uid: 1n,
        internalDate: new Date()
      }
    });
    await c.accounts.remove({ accountId: a!.id });
    expect(await services.db.mailAccount.findUnique({ where: { id: a!.id } })).toBeNull();
    expect(await services.db.folder.count({ where: { accountId: a!.id } })).toBe(0);
    expect(await services.db.message.count({ where: { accountId: a!.id } })).toBe(0);
    const audit = await services.db.auditLog.findFirst({
      where: { action: 'account.remove', details: { path: ['accountId'], equals: a!.id } }
    });
    expect(audit?.tenantId).toBe(folder.tenantId);
  });

  async function tenantOf(accountId: string) {
    return (await services.db.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).tenantId;
  }
});
