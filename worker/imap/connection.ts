import { ImapFlow } from 'imapflow';
import { imapOptions, type ServerLogin } from '../../src/lib/server/accounts/connect.js';

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
