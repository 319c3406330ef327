import { describe, expect, it } from 'vitest';
import { commandFor, isTyping, type KeyLike } from './keys';

const key = (k: string, extra: Partial<KeyLike> = {}): KeyLike => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  target: { tagName: 'DIV' } as unknown as EventTarget,
  ...extra
});

describe('keyboard shortcuts', () => {
  it('maps Gmail keys to commands', () => {
    expect(commandFor(key('j'))).toBe('next');
    expect(commandFor(key('k'))).toBe('prev');
    expect(commandFor(key('Enter'))).toBe('open');
    expect(commandFor(key('#', { shiftKey: true }))).toBe('delete');
    expect(commandFor(key('I', { shiftKey: true }))).toBe('markRead');
    expect(commandFor(key('U', { shiftKey: true }))).toBe('markUnread');
    expect(commandFor(key('?', { shiftKey: true }))).toBe('help');
    expect(commandFor(key('q'))).toBeNull();
  });
  it('never fires while typing or with a modifier', () => {
    const input = { tagName: 'INPUT', type: 'search' } as unknown as EventTarget;
    expect(commandFor(key('j', { target: input }))).toBeNull();
    expect(commandFor(key('s', { target: { tagName: 'TEXTAREA' } as unknown as EventTarget }))).toBeNull();
    expect(commandFor(key('e', { target: { tagName: 'P', isContentEditable: true } as never }))).toBeNull();
    expect(commandFor(key('c', { ctrlKey: true }))).toBeNull();
    expect(isTyping({ tagName: 'INPUT', type: 'checkbox' } as unknown as EventTarget)).toBe(false);
    expect(commandFor(key('Enter', { target: { tagName: 'BUTTON' } as unknown as EventTarget }))).toBeNull();
    // Escape still leaves the field
    expect(commandFor(key('Escape', { target: input }))).toBe('escape');
  });
});
