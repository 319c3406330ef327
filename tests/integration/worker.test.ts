import { QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { makeServices, uniqueEmail } from '../helpers/context';
import { startWorker } from '../helpers/process';

describe('worker process', () => {
  const prefix = `wt${randomUUID().slice(0, 8)}`;
  const services = makeServices({ QUEUE_PREFIX: prefix });
  afterAll(() => services.close());

  it('runs a job the app enqueues (app -> queue -> worker -> database) and stops cleanly on SIGTERM', async () => {
    const { db, producer } = services;
    const tenant = await db.tenant.create({ data: { slug: `w-${randomUUID().slice(0, 8)}`, name: 'W' } });
    const user = await db.user.create({
      data: { tenantId: tenant.id, email: uniqueEmail('w'), passwordHash: await hashPassword('whatever-123') }
    });
    const mk = (id: string, offsetMs: number) =>
      db.session.create({
        data: {
          id,
          tenantId: tenant.id,
          userId: user.id,
          secretHash: new Uint8Array(32),
          expiresAt: new Date(Date.now() + offsetMs)
        }
      });
    await mk(`expired-${randomUUID()}`, -60_000);
    const live = await mk(`live-${randomUUID()}`, 3600_000);

    const worker = startWorker({ QUEUE_PREFIX: prefix });
    try {
      const ready = JSON.parse(await worker.waitForLine((l) => l.includes('"worker ready"')));
      expect(ready).toMatchObject({ level: 'info', service: 'emailclient', component: 'worker' });
      expect(ready.queues).toContain('maintenance');

      const events = new QueueEvents('maintenance', { connection: { url: services.env.REDIS_URL }, prefix });
      await events.waitUntilReady();
      const jobId = await producer.enqueue('maintenance.pruneSessions', { requestedBy: user.id });
      const job = await producer.queue('maintenance').getJob(jobId);
      const result = (await job!.waitUntilFinished(events, 15_000)) as { deleted: number };
      await events.close();
      expect(result.deleted).toBeGreaterThanOrEqual(1);
      expect(await db.session.count({ where: { userId: user.id } })).toBe(1);
      expect(await db.session.findUnique({ where: { id: live.id } })).not.toBeNull();
    } finally {
      const code = await worker.stop('SIGTERM');
      expect(code).toBe(0);
    }
    const msgs = worker.records().map((r) => r.msg);
    expect(msgs).toContain('shutting down: finishing running jobs');
    expect(msgs).toContain('worker stopped');
    // every line the worker wrote is a JSON record
    expect(worker.lines.filter((l) => l.trim() && !l.startsWith('{'))).toEqual([]);
  });

  it('refuses to start with a bad setting, naming it in one line', async () => {
    const w = startWorker({ WORKER_CONCURRENCY: 'lots' });
    expect(await w.exited).toBe(1);
    expect(w.lines.filter(Boolean)).toEqual([
      'Invalid configuration: WORKER_CONCURRENCY must be a whole number'
    ]);
  });
});
