// SMTP for the send jobs: a small pool of nodemailer SMTP connections per account (at most
// SMTP_POOL_SIZE), logged in once and reused for the next message, closed when idle for a
// minute, when the account's settings change, and on shutdown.
//
// We drive nodemailer's SMTPConnection ourselves rather than its pooled transport because the
// send job must act at two precise moments. After the server has taken DATA, with every RCPT
// answered, and before the final "." that commits the message, it checks that no recipient was
// refused (all or nothing: a message never goes to some recipients and not others) and that it
// still owns the outbox row; if either fails, it drops the connection and the server discards
// the transaction. Once that final "." has been handed to the operating system, it records that
// the server may now have the message (see send-message.ts).
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { smtpOptions, type ServerLogin } from '../../src/lib/server/accounts/connect.js';

export interface SmtpAccount {
  id: string;
  smtpHost: string;
  smtpPort: number;
  smtpTls: 'tls' | 'starttls' | 'none';
  username: string;
  updatedAt: Date;
}

export interface SendOutcome {
  response: string;
  accepted: string[];
  messageTime: number;
}

/** A refusal found at the commit point: some recipients were turned away at RCPT. */
export class RecipientsRefused extends Error {
  readonly code = 'EENVELOPE';
  readonly command = 'RCPT TO';
  constructor(readonly rejectedErrors: { recipient?: string; response?: string; responseCode?: number }[]) {
    super('Recipient command failed');
    this.name = 'RecipientsRefused';
  }
  get responseCode(): number | undefined {
    // a temporary refusal makes the whole message temporary: it can all go out later
    const codes = this.rejectedErrors.map((e) => e.responseCode ?? 0);
    return codes.find((c) => c >= 400 && c < 500) ?? codes.find((c) => c >= 500);
  }
  get response(): string | undefined {
    return this.rejectedErrors.find((e) => e.responseCode === this.responseCode)?.response;
  }
}

interface Conn {
  c: SMTPConnection;
  dead: boolean;
  messages: number;
  idleSince: number;
}

const MAX_MESSAGES_PER_CONNECTION = 100;

class AccountPool {
  private idle: Conn[] = [];
  private busy = 0;
  private waiters: (() => void)[] = [];
  lastUsed = Date.now();

  constructor(
    readonly fingerprint: string,
    private readonly login: ServerLogin,
    private readonly timeoutSeconds: number,
    private readonly size: number
  ) {}

  private async open(): Promise<Conn> {
    const o = smtpOptions(this.login, this.timeoutSeconds);
    const c = new SMTPConnection({
      host: o.host,
      port: o.port,
      secure: o.secure,
      requireTLS: o.requireTLS,
      ignoreTLS: o.ignoreTLS,
      connectionTimeout: o.connectionTimeout,
      greetingTimeout: o.greetingTimeout,
      socketTimeout: o.socketTimeout,
      logger: false
    });
    const conn: Conn = { c, dead: false, messages: 0, idleSince: Date.now() };
    // errors also fail the pending call; a dead connection is never handed out again
    c.on('error', () => (conn.dead = true));
    c.on('end', () => (conn.dead = true));
    try {
      await step(c, (done) => c.connect(done));
      if (c.allowsAuth || this.login.password)
        await step(c, (done) => c.login({ user: this.login.username, pass: this.login.password }, done));
    } catch (err) {
      conn.dead = true;
      c.close();
      throw err;
    }
    return conn;
  }

  /** A logged-in connection; `reused` tells whether it served a message before. */
  async acquire(): Promise<{ conn: Conn; reused: boolean }> {
    this.lastUsed = Date.now();
    while (this.busy >= this.size) await new Promise<void>((r) => this.waiters.push(r));
    this.busy++;
    try {
      for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
        if (!conn.dead) return { conn, reused: true };
        conn.c.close();
      }
      return { conn: await this.open(), reused: false };
    } catch (err) {
      this.releaseSlot();
      throw err;
    }
  }

  release(conn: Conn, reusable: boolean): void {
    this.lastUsed = Date.now();
    conn.messages++;
    if (reusable && !conn.dead && conn.messages < MAX_MESSAGES_PER_CONNECTION) {
      conn.idleSince = Date.now();
      this.idle.push(conn);
    } else {
      conn.dead = true;
      if (reusable) conn.c.quit();
      else conn.c.close();
    }
    this.releaseSlot();
  }

  private releaseSlot() {
    this.busy--;
    this.waiters.shift()?.();
  }

  closeIdle(olderThanMs: number): void {
    const now = Date.now();
    this.idle = this.idle.filter((conn) => {
      if (!conn.dead && now - conn.idleSince < olderThanMs) return true;
      conn.c.quit();
      return false;
    });
  }

  get inUse(): number {
    return this.busy;
  }

  close(): void {
    for (const conn of this.idle) conn.c.quit();
    this.idle = [];
  }
}

/** the parts of nodemailer's SMTPConnection the commit points need (not in its types) */
interface ConnectionInternals {
  _envelope?: { rejectedErrors?: unknown[] };
  _currentDataStream?: Readable | false;
  _socket?: { writableLength: number; destroyed: boolean };
}

/** Resolves once everything written to `socket` is with the OS (or the socket is gone). */
async function flushed(socket: { writableLength: number; destroyed: boolean }): Promise<void> {
  while (socket.writableLength > 0 && !socket.destroyed) await new Promise((r) => setTimeout(r, 1));
}

/**
 * The message as a stream that holds back its end (and so the final dot, which nodemailer
 * writes when the stream ends) until `atCommitPoint` has run. A server cannot take a message
 * before its final dot, so everything up to that moment can still be called off.
 */
function heldMessage(raw: Buffer, atCommitPoint: () => Promise<void>): Readable {
  let started = false;
  return new Readable({
    read() {
      if (started) return;
      started = true;
      // read() first runs once the connection pipes us into DATA: MAIL FROM, every RCPT TO
      // and DATA have been answered by then
      this.push(raw);
      atCommitPoint().then(
        () => this.push(null),
        (err: unknown) => this.destroy(err as Error)
      );
    }
  });
}

export class SmtpTransports {
  private readonly pools = new Map<string, AccountPool>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly o: { poolSize: number; timeoutSeconds: number; idleMs?: number; log: Logger }
  ) {
    const idleMs = o.idleMs ?? 60_000;
    this.timer = setInterval(() => this.sweepIdle(idleMs), Math.min(idleMs, 15_000));
    this.timer.unref();
  }

  private pool(account: SmtpAccount, password: () => string): AccountPool {
    const fingerprint = [
      account.smtpHost,
      account.smtpPort,
      account.smtpTls,
      account.username,
      account.updatedAt.getTime()
    ].join('|');
    let p = this.pools.get(account.id);
    if (p && p.fingerprint !== fingerprint) {
      // the account changed (server, password): new connections from now on
      p.close();
      p = undefined;
    }
    if (!p) {
      p = new AccountPool(
        fingerprint,
        {
          host: account.smtpHost,
          port: account.smtpPort,
          tls: account.smtpTls,
          username: account.username,
          password: password()
        },
        this.o.timeoutSeconds,
        this.o.poolSize
      );
      this.pools.set(account.id, p);
    }
    return p;
  }

  /**
   * Sends `raw` with the given envelope. `commit.beforeFinalDot` runs after the server took DATA
   * and before the message's end (so before its final dot) is written: if it throws, or a
   * recipient was refused, the connection is dropped and nothing is sent. `commit.finalDotSent`
   * is called once that dot is with the operating system (a crash of this process after that no
   * longer keeps it from the server), and awaited before this returns or throws.
   */
  async send(
    account: SmtpAccount,
    password: () => string,
    envelope: { from: string; to: string[] },
    raw: Buffer,
    commit: { beforeFinalDot: () => Promise<void>; finalDotSent: () => Promise<void> }
  ): Promise<SendOutcome> {
    const pool = this.pool(account, password);
    // a pooled connection the server closed while it sat idle fails before DATA: then once
    // more on a fresh one (nothing was committed)
    for (let attempt = 1; ; attempt++) {
      const { conn, reused } = await pool.acquire();
      let committing = false;
      let dotSent: Promise<void> | undefined;
      try {
        const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => {
          const message = heldMessage(raw, async () => {
            const internals = conn.c as unknown as ConnectionInternals;
            const rejected = internals._envelope?.rejectedErrors;
            if (rejected?.length)
              throw new RecipientsRefused(rejected as ConstructorParameters<typeof RecipientsRefused>[0]);
            committing = true;
            await commit.beforeFinalDot();
            // nodemailer's DATA stream writes the final dot when it ends: its 'end' comes once the
            // dot was given to the socket, and the socket's buffer is empty once the OS has it
            const data = internals._currentDataStream;
            const socket = internals._socket;
            if (!data || !socket) throw new Error('nodemailer no longer exposes its DATA stream');
            data.once('end', () => {
              dotSent = flushed(socket).then(commit.finalDotSent);
            });
          });
          message.on('error', () => {}); // reported through the send callback
          conn.c.send({ ...envelope, size: raw.length }, message, (err, res) =>
            err || !res ? reject(unwrap(err, message)) : resolve(res)
          );
        });
        await dotSent;
        pool.release(conn, true);
        return { response: info.response, accepted: info.accepted, messageTime: info.messageTime };
      } catch (err) {
        await dotSent;
        pool.release(conn, false);
        if (reused && !committing && attempt === 1 && isConnectionError(err)) continue;
        throw err;
      }
    }
  }

  private sweepIdle(idleMs: number) {
    for (const [id, p] of this.pools) {
      p.closeIdle(idleMs);
      if (!p.inUse && Date.now() - p.lastUsed > idleMs) {
        p.close();
        this.pools.delete(id);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
  }
}

/**
 * One call of an SMTPConnection that reports by callback, settled also by an 'error' or 'end'
 * of the connection: nodemailer emits a network failure while connecting or logging in as an
 * 'error' event and never calls the callback.
 */
function step(c: SMTPConnection, call: (done: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => settle(err);
    const onEnd = () =>
      settle(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }));
    const settle = (err?: Error | null) => {
      c.off('error', onError);
      c.off('end', onEnd);
      if (err) reject(err);
      else resolve();
    };
    c.once('error', onError);
    c.once('end', onEnd);
    call((err) => settle(err));
  });
}

/** The stream's own error (our refusal at the commit point) rather than nodemailer's wrapper. */
function unwrap(err: unknown, message: Readable): unknown {
  const own = (message as Readable & { errored?: Error | null }).errored;
  return own ?? err;
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ECONNECTION' || code === 'ESOCKET' || code === 'ETIMEDOUT';
}
