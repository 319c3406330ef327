// JSON log lines on stdout (pino). Secrets are removed by path before a line is written:
// passwords, cookies, tokens and authorization headers, wherever they sit in the object.
import { pino, type Logger, type LoggerOptions } from 'pino';

const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'pass',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'sessionToken',
  'cookie',
  'cookies',
  'authorization',
  'set-cookie',
  'x-api-key',
  'encryptionKey',
  'ENCRYPTION_KEY'
];

// pino's redact takes paths; cover the key at the top and up to three levels deep,
// plus the usual places HTTP headers live.
export const redactPaths = [
  ...SECRET_KEYS.flatMap((k) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`;
    return [key.slice(key.startsWith('.') ? 1 : 0), `*${key}`, `*.*${key}`, `*.*.*${key}`];
  }),
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization'
];

export function createLogger(
  options: { level?: string; service?: string } = {},
  destination?: pino.DestinationStream
): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: 'emailclient', component: options.service ?? 'app' },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err }
  };
  return destination ? pino(opts, destination) : pino(opts);
}

let root: Logger | undefined;
export function logger(): Logger {
  root ??= createLogger({ service: process.env.EMAILCLIENT_COMPONENT ?? 'app' });
  return root;
}
export function setRootLogger(l: Logger): void {
  root = l;
}
