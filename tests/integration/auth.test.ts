import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeServices, resetDatabase, uniqueEmail } from '../helpers/context';
import { errorOf } from '../helpers/wait';

const PASSWORD = 'correct horse battery staple';

describe('sign-up, log-in, sessions', () => {
  const services = makeServices({ ALLOW_SIGNUP: 'false' });
  const open = { ...services, env: { ...services.env, ALLOW_SIGNUP: true } };
  let adminEmail: string;

  beforeAll(async () => {
    await resetDatabase(services.db);
  });
  afterAll(async () => {
    await services.close();
  });

  it('makes the first user of a fresh install admin of the default tenant', async () => {
    adminEmail = uniqueEmail('admin');
    const c = client(services);
    const res = await (await c.caller()).auth.signup({ email: adminEmail.toUpperCase(), password: PASSWORD });
    expect(res.user).toMatchObject({ email: adminEmail, role: 'admin' });
    expect(c.token).toMatch(/^[a-z2-7]{32}\.[a-z2-7]{32}$/);
    const tenant = await services.db.tenant.findUniqueOrThrow({
      where: { slug: services.env.DEFAULT_TENANT_SLUG }
    });
    const user = await services.db.user.findFirstOrThrow({ where: { email: adminEmail } });
    expect(user.tenantId).toBe(tenant.id);
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect((await (await c.caller()).auth.me()).user?.email).toBe(adminEmail);
  });

  it('stores only a hash of the session secret', async () => {
    const c = client(services);
    await (await c.caller()).auth.login({ email: adminEmail, password: PASSWORD });
    const [id, secret] = c.token!.split('.');
    const row = await services.db.session.findUniqueOrThrow({ where: { id: id! } });
    expect(Buffer.from(row.secretHash).toString('hex')).not.toContain(Buffer.from(secret!).toString('hex'));
    expect(row.secretHash.length).toBe(32);
  });

  it('refuses later sign-ups while ALLOW_SIGNUP is off, and allows them when on', async () => {
    const e = await errorOf(
      (await client(services).caller()).auth.signup({ email: uniqueEmail(), password: PASSWORD })
    );
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/Sign-up is closed/);
    const res = await (
      await client(open).caller()
    ).auth.signup({ email: uniqueEmail('member'), password: PASSWORD });
    expect(res.user.role).toBe('member');
  });

  it('rejects a duplicate address and weak passwords with clear messages', async () => {
    const e = await errorOf(
      (await client(open).caller()).auth.signup({ email: adminEmail, password: PASSWORD })
    );
    expect(e.code).toBe('CONFLICT');
    const weak = await errorOf(
      (await client(open).caller()).auth.signup({ email: uniqueEmail(), password: 'short' })
    );
    expect(weak.code).toBe('BAD_REQUEST');
  });

  it('lets an admin invite a user into their tenant, once', async () => {
    const admin = client(services);
    await (await admin.caller()).auth.login({ email: adminEmail, password: PASSWORD });
    const invitee = uniqueEmail('invitee');
    const { url } = await (await admin.caller()).admin.invite({ email: invitee, role: 'member' });
    const token = new URL(url).searchParams.get('invite')!;
    const wrong = await errorOf(
      (await client(services).caller()).auth.signup({
        email: uniqueEmail(),
        password: PASSWORD,
        inviteToken: token
      })
    );
    expect(wrong.message).toMatch(/This invitation is for/);
    const c = client(services);
    const res = await (
      await c.caller()
    ).auth.signup({ email: invitee, password: PASSWORD, inviteToken: token });
    expect(res.user.role).toBe('member');
    const again = await errorOf(
      (await client(services).caller()).auth.signup({
        email: invitee,
        password: PASSWORD,
        inviteToken: token
      })
    );
    expect(again.message).toMatch(/invalid or has expired/);
    // members cannot invite
    const e = await errorOf((await c.caller()).admin.invite({ email: uniqueEmail(), role: 'admin' }));
    expect(e.code).toBe('FORBIDDEN');
  });

  it('answers a wrong password and an unknown address the same way', async () => {
    const a = await errorOf(
      (await client(services).caller()).auth.login({ email: adminEmail, password: 'nope-nope' })
    );
    const b = await errorOf(
      (await client(services).caller()).auth.login({ email: uniqueEmail('ghost'), password: 'nope-nope' })
    );
    expect(a.code).toBe('UNAUTHORIZED');
    expect(b.code).toBe(a.code);
    expect(b.message).toBe(a.message);
    expect(a.message).toBe('Wrong email address or password.');
  });

  it('refuses the 6th failed attempt on an account within a minute, even with the right password', async () => {
    const email = uniqueEmail('victim');
    await (await client(open).caller()).auth.signup({ email, password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      const e = await errorOf(
        (await client(services).caller()).auth.login({ email, password: `wrong-${i}` })
      );
      expect(e.code).toBe('UNAUTHORIZED');
    }
    const sixth = await errorOf((await client(services).caller()).auth.login({ email, password: PASSWORD }));
    expect(sixth.code).toBe('TOO_MANY_REQUESTS');
    expect(sixth.message).toMatch(/^Too many attempts\. Try again in \d+ s\.$/);
    // an unknown account is throttled exactly the same way (no account enumeration)
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++)
      await errorOf((await client(services).caller()).auth.login({ email: ghost, password: 'x' }));
    const g = await errorOf((await client(services).caller()).auth.login({ email: ghost, password: 'x' }));
    expect(g.code).toBe('TOO_MANY_REQUESTS');
    const throttled = await services.db.auditLog.count({ where: { action: 'auth.login.throttled' } });
    expect(throttled).toBeGreaterThanOrEqual(2);
  });

  it('throttles one IP trying many accounts', async () => {
    const ip = '192.0.2.77';
    const limit = services.env.RATE_LIMIT_LOGIN_PER_IP;
    for (let i = 0; i < limit; i++)
      await errorOf(
        (await client(services, { ip }).caller()).auth.login({ email: uniqueEmail(), password: 'x' })
      );
    const e = await errorOf(
      (await client(services, { ip }).caller()).auth.login({ email: adminEmail, password: PASSWORD })
    );
    expect(e.code).toBe('TOO_MANY_REQUESTS');
    // another IP is not affected
    await (await client(services).caller()).auth.login({ email: adminEmail, password: PASSWORD });
  });

  it('logs out: the session row is gone and the token no longer works', async () => {
    const c = client(services);
    await (await c.caller()).auth.login({ email: adminEmail, password: PASSWORD });
    const token = c.token!;
    await (await c.caller()).auth.logout();
    expect(c.token).toBeUndefined();
    expect(await services.db.session.findUnique({ where: { id: token.split('.')[0]! } })).toBeNull();
    const replay = client(services);
    replay.jar.set(services.env.SESSION_COOKIE_NAME, token);
    expect((await (await replay.caller()).auth.me()).user).toBeNull();
    const e = await errorOf((await replay.caller()).auth.logout());
    expect(e.code).toBe('UNAUTHORIZED');
  });

  it('changing the password ends the other sessions and keeps this one', async () => {
    const email = uniqueEmail('changer');
    const phone = client(open);
    await (await phone.caller()).auth.signup({ email, password: PASSWORD });
    const laptop = client(services);
    await (await laptop.caller()).auth.login({ email, password: PASSWORD });
    const wrong = await errorOf(
      (await laptop.caller()).auth.changePassword({
        currentPassword: 'not-it-at-all',
        newPassword: 'a brand new secret'
      })
    );
    expect(wrong.message).toBe('Your current password is not right.');
    const res = await (
      await laptop.caller()
    ).auth.changePassword({
      currentPassword: PASSWORD,
      newPassword: 'a brand new secret'
    });
    expect(res.endedSessions).toBe(1);
    expect((await (await laptop.caller()).auth.me()).user?.email).toBe(email);
    expect((await (await phone.caller()).auth.me()).user).toBeNull();
    await errorOf((await client(services).caller()).auth.login({ email, password: PASSWORD }));
    await (await client(services).caller()).auth.login({ email, password: 'a brand new secret' });
  });

  it('slides the expiry forward once half the lifetime is used, and drops expired sessions', async () => {
    const c = client(services);
    await (await c.caller()).auth.login({ email: adminEmail, password: PASSWORD });
    const id = c.token!.split('.')[0]!;
    const soon = new Date(Date.now() + 24 * 3600 * 1000);
    await services.db.session.update({ where: { id }, data: { expiresAt: soon } });
    await (await c.caller()).auth.me();
    const slid = await services.db.session.findUniqueOrThrow({ where: { id } });
    expect(slid.expiresAt.getTime()).toBeGreaterThan(
      Date.now() + (services.env.SESSION_TTL_DAYS - 1) * 24 * 3600 * 1000
    );
    await services.db.session.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await (await c.caller()).auth.me()).user).toBeNull();
    expect(await services.db.session.findUnique({ where: { id } })).toBeNull();
  });

  it('writes audit rows for login success and failure, logout and password change', async () => {
    const user = await services.db.user.findFirstOrThrow({ where: { email: adminEmail } });
    const actions = new Set(
      (
        await services.db.auditLog.findMany({ where: { tenantId: user.tenantId }, select: { action: true } })
      ).map((r) => r.action)
    );
    for (const a of [
      'auth.signup',
      'auth.login.success',
      'auth.login.failure',
      'auth.logout',
      'auth.password.change'
    ])
      expect(actions).toContain(a);
    const failure = await services.db.auditLog.findFirstOrThrow({ where: { action: 'auth.login.failure' } });
    expect(JSON.stringify(failure.details)).not.toMatch(/nope-nope|wrong-\d/);
  });
});

describe('tenant isolation', () => {
  const services = makeServices();
  afterAll(() => services.close());

  it("an admin of one tenant never sees another tenant's audit log or users", async () => {
    const db = services.db;
    const { hashPassword } = await import('../../src/lib/server/auth/password');
    const hash = await hashPassword(PASSWORD);
    const make = async (slug: string) => {
      const t = await db.tenant.create({ data: { slug: `${slug}-${Date.now()}`, name: slug } });
      const email = uniqueEmail(slug);
      await db.user.create({ data: { tenantId: t.id, email, passwordHash: hash, role: 'admin' } });
      return { t, email };
    };
    const a = await make('acme');
    const b = await make('globex');
    const ca = client(services);
    await (await ca.caller()).auth.login({ email: a.email, password: PASSWORD });
    const cb = client(services);
    await (await cb.caller()).auth.login({ email: b.email, password: PASSWORD });
    await (await ca.caller()).admin.invite({ email: uniqueEmail('acme-new'), role: 'member' });
    const logA = await (await ca.caller()).admin.auditLog({ limit: 200 });
    const logB = await (await cb.caller()).admin.auditLog({ limit: 200 });
    expect(logA.some((r) => r.action === 'admin.invite')).toBe(true);
    expect(logB.some((r) => r.action === 'admin.invite')).toBe(false);
    const userIdsB = new Set((await db.user.findMany({ where: { tenantId: b.t.id } })).map((u) => u.id));
    expect(logB.every((r) => r.userId === null || userIdsB.has(r.userId))).toBe(true);
    // the same address may exist in two tenants; log-in then asks which organisation
    await db.user.create({ data: { tenantId: b.t.id, email: a.email, passwordHash: hash } });
    const e = await errorOf(
      (await client(services).caller()).auth.login({ email: a.email, password: PASSWORD })
    );
    expect(e.message).toMatch(/more than one organisation/);
    const res = await (
      await client(services).caller()
    ).auth.login({
      email: a.email,
      password: PASSWORD,
      organisation: b.t.slug
    });
    expect(res.user.role).toBe('member');
  });
});
