import { describe, expect, it } from 'vitest';
import { displayName, fileSize, fullAddress, listDate } from './format';

describe('listDate', () => {
  const now = new Date(2026, 10, 29, 15, 30).getTime();
  it('is relative within the hour', () => {
    expect(listDate(now - 20_000, now)).toBe('now');
    expect(listDate(now - 12 * 60_000, now)).toBe('12 min ago');
  });
  it('shows the time earlier today and Yesterday for the day before', () => {
    expect(listDate(new Date(2026, 10, 29, 8, 5).getTime(), now, 'en-GB')).toBe('08:05');
    expect(listDate(new Date(2026, 10, 28, 23, 59).getTime(), now, 'en-GB')).toBe('Yesterday');
  });
  it('shows an absolute date for older mail, with the year when it is not this one', () => {
    expect(listDate(new Date(2026, 2, 3, 10).getTime(), now, 'en-GB')).toBe('3 Mar');
    expect(listDate(new Date(2025, 11, 24, 10).getTime(), now, 'en-GB')).toBe('24 Dec 2025');
  });
  it('keeps one string per day and locale, not one for every message of that day', () => {
    // the same day in two locales, and two times of a day today: each its own string
    expect(listDate(new Date(2026, 2, 3, 23).getTime(), now, 'de-DE')).toBe('3. März');
    expect(listDate(new Date(2026, 2, 3, 9).getTime(), now, 'en-GB')).toBe('3 Mar');
    expect(listDate(new Date(2026, 10, 29, 8, 6).getTime(), now, 'en-GB')).toBe('08:06');
    expect(listDate(new Date(2026, 10, 29, 8, 5, 40).getTime(), now, 'en-GB')).toBe('08:05');
    expect(listDate(new Date(2026, 2, 4, 0, 1).getTime(), now, 'en-GB')).toBe('4 Mar');
  });
});

describe('addresses and sizes', () => {
  it('names a sender by name, else by address', () => {
    expect(displayName({ name: 'Carol White', address: 'carol@example.test' })).toBe('Carol White');
    expect(displayName({ name: ' ', address: 'carol@example.test' })).toBe('carol@example.test');
    expect(displayName(null)).toBe('(unknown sender)');
    expect(fullAddress({ name: 'Carol', address: 'c@x.test' })).toBe('Carol <c@x.test>');
    expect(fullAddress({ address: 'c@x.test' })).toBe('c@x.test');
  });
  it('formats sizes', () => {
    expect(fileSize(512)).toBe('512 B');
    expect(fileSize(2048)).toBe('2.0 KB');
    expect(fileSize(300 * 1024)).toBe('300 KB');
    expect(fileSize(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
