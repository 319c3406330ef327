import { describe, expect, it } from 'vitest';
import { jobNames } from '../src/lib/server/queue/jobs';
import { assertHandlers, handlers } from './registry';

describe('job registry', () => {
  it('has a handler for every job', () => {
    expect(() => assertHandlers(handlers)).not.toThrow();
    expect(Object.keys(handlers).sort()).toEqual([...jobNames].sort());
  });
  it('refuses to start when a job has no handler', () => {
    expect(() => assertHandlers({}, ['maintenance.pruneSessions'])).toThrow(
      'no handler for job(s): maintenance.pruneSessions'
    );
  });
  it('refuses a handler for a job that is not registered', () => {
    expect(() => assertHandlers({ ...handlers, 'bogus.job': async () => null })).toThrow(
      /unknown job\(s\): bogus.job/
    );
  });
});
