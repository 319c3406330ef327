import { ImapFlow } from 'imapflow';
import { imapOptions, type ServerLogin } from '../../src/lib/server/accounts/connect.js';
import { openSecret } from '../../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../../src/lib/server/crypto/keys.js';
import type { Env } from '../../src/lib/server/env.js';
import type { MailAccount } from '../../src/generated/prisma/client.js';

/** Per-host limit on logins in flight, so a restart does not storm one server with logins. */
export class HostGate {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  constructor(private readonly perHost: number) {}

  async run<T>(host: string, fn: () => Promise<T>): Promise<T> {
    while ((this.active.get(host) ?? 0) >= this.perHost)
      await new Promise<void>((r) => this.waiting.set(host, [...(this.waiting.get(host) ?? []), r]));
    this.active.set(host, (this.active.get(host) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      this.active.set(host, (this.active.get(host) ?? 1) - 1);
      const next = this.waiting.get(host)?.shift();
      next?.();
    }
  }
}

export async function openImap(
  login: ServerLogin,
  timeoutSeconds: number,
  gate: HostGate
): Promise<ImapFlow> {
  return gate.run(login.host, async () => {
    const client = new ImapFlow({ ...imapOptions(login, timeoutSeconds), maxIdleTime: 5 * 60_000 });
    // errors also reject the pending command or arrive as 'close'; never let them go unhandled
    client.on('error', () => {});
    await client.connect();
    return client;
  });
}

/** Logs in to a mail account's IMAP server for a job (password decrypted only here). */
export function openAccount(
  account: MailAccount,
  ctx: { env: Pick<Env, 'IMAP_TIMEOUT' | 'ENCRYPTION_KEY' | 'ENCRYPTION_KEY_ID'>; gate: HostGate }
): Promise<ImapFlow> {
  return openImap(
    {
      host: account.imapHost,
      port: account.imapPort,
      tls: account.imapTls,
      username: account.username,
      password: openSecret(masterKeys(ctx.env), account.id, account)
    },
    ctx.env.IMAP_TIMEOUT,
    ctx.gate
  );
}

/** A refusal by the server (NO/BAD): retrying will not help. Anything else may be transient. */
export function isRefusal(err: unknown): boolean {
  const s = (err as { responseStatus?: string })?.responseStatus;
  return s === 'NO' || s === 'BAD';
}

/** An error that says the server refused, for the paths where imapflow answers `false`. */
export function refused(message: string): Error {
  return Object.assign(new Error(message), { responseStatus: 'NO' });
}
