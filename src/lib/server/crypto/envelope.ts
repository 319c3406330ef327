// Envelope encryption of mailbox credentials (AES-256-GCM, node:crypto).
// Each account has its own random data key; the password is sealed with that data key, and
// the data key is sealed ("wrapped") with the master key named by keyId. Rotating the master
// key re-wraps data keys only. The account id is bound as associated data, so a ciphertext
// copied onto another account's row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE = 12;
const TAG = 16;
const VERSION = 1;

export interface MasterKeys {
  current: { id: string; key: Buffer };
  /** Older keys still accepted for unwrapping while a rotation is under way. */
  previous?: { id: string; key: Buffer }[];
}

export interface SealedSecret {
  secretCiphertext: Uint8Array<ArrayBuffer>;
  wrappedKey: Uint8Array<ArrayBuffer>;
  keyId: string;
}

export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptError';
  }
}

function seal(key: Buffer, plaintext: Buffer, aad: string): Uint8Array<ArrayBuffer> {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  const out = new Uint8Array(1 + NONCE + body.length + TAG);
  out[0] = VERSION;
  out.set(nonce, 1);
  out.set(body, 1 + NONCE);
  out.set(c.getAuthTag(), 1 + NONCE + body.length);
  return out;
}

function open(key: Buffer, sealed: Uint8Array, aad: string): Buffer {
  const buf = Buffer.from(sealed);
  if (buf.length < 1 + NONCE + TAG || buf[0] !== VERSION) throw new DecryptError('unknown ciphertext format');
  const nonce = buf.subarray(1, 1 + NONCE);
  const tag = buf.subarray(buf.length - TAG);
  const body = buf.subarray(1 + NONCE, buf.length - TAG);
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    throw new DecryptError('ciphertext does not authenticate (wrong key or wrong account)');
  }
}

const secretAad = (accountId: string) => `emailclient/secret/v1/${accountId}`;
const keyAad = (accountId: string, keyId: string) => `emailclient/data-key/v1/${accountId}/${keyId}`;

function masterKey(keys: MasterKeys, keyId: string): Buffer {
  if (keys.current.id === keyId) return keys.current.key;
  const k = keys.previous?.find((p) => p.id === keyId);
  if (!k) throw new DecryptError(`master key "${keyId}" is not configured`);
  return k.key;
}

export function sealSecret(keys: MasterKeys, accountId: string, secret: string): SealedSecret {
  const dataKey = randomBytes(32);
  try {
    return {
      secretCiphertext: seal(dataKey, Buffer.from(secret, 'utf8'), secretAad(accountId)),
      wrappedKey: seal(keys.current.key, dataKey, keyAad(accountId, keys.current.id)),
      keyId: keys.current.id
    };
  } finally {
    dataKey.fill(0);
  }
}

export function openSecret(keys: MasterKeys, accountId: string, sealed: SealedSecret): string {
  const dataKey = open(masterKey(keys, sealed.keyId), sealed.wrappedKey, keyAad(accountId, sealed.keyId));
  try {
    return open(dataKey, sealed.secretCiphertext, secretAad(accountId)).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** Re-wraps the data key under the current master key; the sealed secret itself is unchanged. */
export function rewrap(keys: MasterKeys, accountId: string, sealed: SealedSecret): SealedSecret {
  if (sealed.keyId === keys.current.id) return sealed;
  const dataKey = open(masterKey(keys, sealed.keyId), sealed.wrappedKey, keyAad(accountId, sealed.keyId));
  try {
    return {
      secretCiphertext: new Uint8Array(sealed.secretCiphertext),
      wrappedKey: seal(keys.current.key, dataKey, keyAad(accountId, keys.current.id)),
      keyId: keys.current.id
    };
  } finally {
    dataKey.fill(0);
  }
}
