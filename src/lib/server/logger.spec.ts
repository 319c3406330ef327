import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    }
  });
  return { lines, stream };
}

describe('logger', () => {
  it('writes JSON lines with service, level and message', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'info', service: 'worker' }, stream).info({ n: 1 }, 'hello');
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({
      level: 'info',
      service: 'emailclient',
      component: 'worker',
      msg: 'hello',
      n: 1
    });
    expect(typeof rec.time).toBe('string');
  });

  it('honours the level', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'warn' }, stream);
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['loud']);
  });

  it('removes passwords, cookies, tokens and authorization headers', () => {
    const { lines, stream } = capture();
    const secrets = [
      'hunter2-password',
      'cookie-value-123',
      'Bearer abc.def',
      'tok-999',
      'sess-secret',
      'nested-pass'
    ];
    createLogger({ level: 'info' }, stream).info(
      {
        password: secrets[0],
        req: {
          method: 'POST',
          url: '/api/trpc/auth.login',
          headers: { cookie: secrets[1], authorization: secrets[2] }
        },
        body: {
          email: 'a@example.test',
          token: secrets[3],
          sessionToken: secrets[4],
          account: { imap: { password: secrets[5] } }
        }
      },
      'request'
    );
    const out = lines.join('\n');
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).toContain('a@example.test');
    expect(out).toContain('[redacted]');
  });
});
