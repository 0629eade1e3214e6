import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../main/core/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['0s', 0],
    [' 10s ', 10_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['5 sec', '5x', 's', '', '-1s', '30s1m', '1s1s', '1.s', '1m 30s'])('refuses %j with the forms that are valid', (text) => {
    expect(() => parseDuration(text)).toThrow(`invalid duration '${text}'; write it like 250ms, 2s or 1m`);
  });

  it('refuses a bare number and says to add a unit', () => {
    expect(() => parseDuration(5)).toThrow("invalid duration '5': a number needs a unit, like 5s or 5ms; write it like 250ms, 2s or 1m");
    expect(() => parseDuration('30')).toThrow("invalid duration '30': a number needs a unit, like 30s or 30ms");
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [1500, '1s500ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
