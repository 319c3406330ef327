import { describe, expect, it } from 'vitest';
import { bodySizeLimit } from './start-app.js';

describe('bodySizeLimit', () => {
  it('keeps an explicit limit', () => {
    expect(bodySizeLimit({ BODY_SIZE_LIMIT: '10M', MAX_MESSAGE_BYTES: '1000' })).toBe('10M');
  });
  it('fits a base64-encoded message of MAX_MESSAGE_BYTES when none is set', () => {
    expect(Number(bodySizeLimit({ MAX_MESSAGE_BYTES: String(10 * 1024 * 1024) }))).toBeGreaterThan(
      (10 * 1024 * 1024 * 4) / 3
    );
    expect(Number(bodySizeLimit({ BODY_SIZE_LIMIT: '' }))).toBeGreaterThan((25 * 1024 * 1024 * 4) / 3);
  });
});
