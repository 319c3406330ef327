// Every setting the product reads, parsed once with zod. `.env.example` documents each one;
// a unit test checks the two lists match. Server-only, shared by the app and the worker, so
// it reads process.env directly (no $env/* imports).
import { z } from 'zod';

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
      error: 'must be true or false'
    })
    .default(def ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (def: number, min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(def);

const url = (protocols: string[]) =>
  z.url({ error: `must be a URL (${protocols.join(', ')})` }).refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    `must start with ${protocols.map((p) => p + '://').join(' or ')}`
  );

/** 32 random bytes as 64 hex characters or base64 (openssl rand -hex 32). */
const key = z.string().refine((v) => decodeKey(v) !== null, {
  message: 'must be 32 random bytes as 64 hex characters or base64 (generate with: openssl rand -hex 32)'
});

export function decodeKey(v: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
    const b = Buffer.from(v, 'base64');
    return b.length === 32 ? b : null;
  }
  return null;
}

// Development and test get a fixed, obviously-unsafe key; production must set its own.
const DEV_ENCRYPTION_KEY = '0'.repeat(63) + '1';

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
    DATABASE_URL: url(['postgresql', 'postgres']),
    REDIS_URL: url(['redis', 'rediss']),
    ORIGIN: url(['http', 'https']).optional(),
    PORT: int(3000, 1, 65535),
    HOST: z.string().min(1).default('0.0.0.0'),
    ENCRYPTION_KEY: key.optional(),
    ENCRYPTION_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 letters, digits, dot, dash or underscore')
      .default('k1'),
    // keys rotated out but still needed to read accounts not yet re-wrapped: "id:key,id:key"
    ENCRYPTION_KEYS_PREVIOUS: z
      .string()
      .default('')
      .refine(
        (v) =>
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
            .every(
              (p) => /^[A-Za-z0-9_.-]{1,32}:/.test(p) && decodeKey(p.slice(p.indexOf(':') + 1)) !== null
            ),
        'must be a comma-separated list of id:key pairs (each key 32 random bytes as hex or base64)'
      ),
    SESSION_TTL_DAYS: int(30, 1, 365),
    SESSION_COOKIE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, dash or underscore')
      .default('emailclient_session'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    RATE_LIMIT_ENABLED: bool(true),
    RATE_LIMIT_LOGIN_PER_ACCOUNT: int(5, 1, 1000),
    RATE_LIMIT_LOGIN_PER_IP: int(20, 1, 10000),
    RATE_LIMIT_LOGIN_WINDOW_SECONDS: int(60, 1, 86400),
    RATE_LIMIT_REQUESTS_PER_MINUTE: int(600, 1, 1_000_000),
    IMAP_TIMEOUT: int(30, 1, 600),
    SMTP_TIMEOUT: int(30, 1, 600),
    IMAP_POOL_SIZE: int(10, 1, 1000),
    IMAP_RESYNC_SECONDS: int(60, 5, 86400),
    IMAP_LEASE_SECONDS: int(15, 3, 600),
    IMAP_SYNC_TENANTS: z
      .string()
      .regex(/^[\w-]+(,[\w-]+)*$/, 'must be a comma-separated list of organisation slugs or ids')
      .optional()
      .transform((v) => (v ? v.split(',') : [])),
    PART_CACHE_DAYS: int(7, 1, 3650),
    SMTP_POOL_SIZE: int(5, 1, 100),
    SEND_UNDO_SECONDS: int(10, 0, 300),
    SEND_RATE_PER_HOUR: int(50, 1, 1_000_000),
    MAX_MESSAGE_BYTES: int(25 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    SEND_MAX_ATTEMPTS: int(8, 1, 50),
    SEND_RETRY_SECONDS: int(5, 1, 3600),
    SEND_LEASE_SECONDS: int(30, 2, 3600),
    WORKER_CONCURRENCY: int(8, 1, 256),
    WORKER_SHUTDOWN_GRACE_SECONDS: int(25, 1, 3600),
    RENDER_THREADS: int(1, 1, 64),
    RENDER_TIMEOUT_SECONDS: int(60, 1, 3600),
    AUTO_RUN_MIGRATIONS: bool(false),
    ALLOW_SIGNUP: bool(false),
    DEFAULT_TENANT_SLUG: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes')
      .default('default'),
    DEFAULT_TENANT_NAME: z.string().min(1).max(100).default('Default organisation'),
    ENABLE_IMAP_SYNC: bool(true),
    ENABLE_SMTP_SEND: bool(true),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, dash or underscore')
      .default('emailclient')
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (!env.ENCRYPTION_KEY)
        ctx.addIssue({
          code: 'custom',
          path: ['ENCRYPTION_KEY'],
          message: 'is required in production (generate with: openssl rand -hex 32)'
        });
      else if (env.ENCRYPTION_KEY === DEV_ENCRYPTION_KEY)
        ctx.addIssue({
          code: 'custom',
          path: ['ENCRYPTION_KEY'],
          message: 'is the development key; set a random one in production'
        });
      if (!env.ORIGIN)
        ctx.addIssue({
          code: 'custom',
          path: ['ORIGIN'],
          message: 'is required in production (the URL users open, e.g. https://mail.example.com)'
        });
    }
  })
  .transform((env) => ({
    ...env,
    ENCRYPTION_KEY: env.ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY,
    ORIGIN: env.ORIGIN ?? `http://localhost:${env.PORT}`
  }));

export type Env = z.output<typeof envSchema>;

export class EnvError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'EnvError';
  }
}

/** Parse an environment; throws EnvError naming the first bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // Treat empty strings as unset, so `FOO=` in an env file means "use the default".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const missing = issue.code === 'invalid_type' && cleaned[variable] === undefined;
  throw new EnvError(variable, missing ? 'is required but not set' : issue.message);
}

let cached: Env | undefined;

/**
 * The process's configuration. On a bad value it prints one line naming the variable and
 * exits, so a misconfigured container fails at start rather than at the first request.
 */
export function env(): Env {
  if (cached) return cached;
  try {
    cached = parseEnv(process.env);
    return cached;
  } catch (e) {
    if (e instanceof EnvError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** Names of every setting, for the .env.example consistency test. */
export const settingNames = Object.keys(envSchema.in.shape);
