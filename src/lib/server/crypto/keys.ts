import { decodeKey, type Env } from '../env.js';
import type { MasterKeys } from './envelope.js';

/** The master key(s) from the configuration. */
export function masterKeys(env: Pick<Env, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEY_ID'>): MasterKeys {
  const key = decodeKey(env.ENCRYPTION_KEY);
  if (!key) throw new Error('ENCRYPTION_KEY is not a valid key');
  return { current: { id: env.ENCRYPTION_KEY_ID, key } };
}
