import { decodeKey, type Env } from '../env.js';
import type { MasterKeys } from './envelope.js';

/**
 * The master keys from the configuration: the current one (new secrets are sealed with it)
 * and the previous ones, kept only to read accounts `npm run keys:rotate` has not re-wrapped yet.
 */
export function masterKeys(
  env: Pick<Env, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEY_ID'> & { ENCRYPTION_KEYS_PREVIOUS?: string }
): MasterKeys {
  const key = decodeKey(env.ENCRYPTION_KEY);
  if (!key) throw new Error('ENCRYPTION_KEY is not a valid key');
  const previous = (env.ENCRYPTION_KEYS_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf(':');
      const k = decodeKey(pair.slice(i + 1));
      if (i < 1 || !k) throw new Error('ENCRYPTION_KEYS_PREVIOUS is not a list of id:key pairs');
      return { id: pair.slice(0, i), key: k };
    })
    .filter((p) => p.id !== env.ENCRYPTION_KEY_ID);
  return { current: { id: env.ENCRYPTION_KEY_ID, key }, previous };
}
