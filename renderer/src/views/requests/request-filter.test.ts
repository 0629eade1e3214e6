import { describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../../../shared/api.ts';
import type { LogLine } from '../../../../shared/process.ts';
import { Ring } from '../../state/ring.ts';
import { accessRecord, logLine } from '../../testing/fixtures.ts';
import { filterRequests, linesAround } from './request-filter.ts';

describe('request filtering', () => {
  it('matches request ids and workers case-insensitively', () => {
    const ring = new Ring<AccessRecord>(10);
    ring.push(accessRecord({ requestId: 'ABC-123', worker: 'api-1' }));
    ring.push(accessRecord({ requestId: 'def-456', worker: 'api-2' }));
    expect(filterRequests(ring, { text: 'abc', statusClass: '', app: '' }).map((record) => record.requestId)).toEqual(['ABC-123']);
    expect(filterRequests(ring, { text: 'API-2', statusClass: '', app: '' }).map((record) => record.requestId)).toEqual(['def-456']);
  });

  it('finds the window of lines by time, from the request arriving to it finishing, ±2 s', () => {
    const logs = new Ring<LogLine>(100);
    for (let time = 0; time <= 20_000; time += 500) logs.push(logLine(`t${time}`, { time, source: 'api-1' }));
    const record = accessRecord({ time: 10_000, duration: 1000, worker: 'api-1' });
    const texts = linesAround(logs, record).map((line) => line.text);
    expect(texts[0]).toBe('t8000');
    expect(texts.at(-1)).toBe('t13000');
  });
});
