import { describe, expect, it } from 'vitest';
import { parseEnv } from '../env.js';
import { sendMessage, type OutboxDeps } from './outbox.js';

describe('sendMessage', () => {
  it('refuses with a clear message when sending is turned off, before touching anything', async () => {
    const env = parseEnv({
      DATABASE_URL: 'postgresql://127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      ENABLE_SMTP_SEND: 'false'
    });
    // no database, Redis or queue behind these: the guard must answer first
    const deps = { env } as unknown as OutboxDeps;
    const err = await sendMessage(
      deps,
      { tenantId: 't', userId: 'u', userName: null },
      {} as never,
      { to: [{ address: 'a@example.test' }] } as never
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringMatching(/turned off/) });
  });
});
