import { describe, expect, it } from 'vitest';
import { hasAnsi, parseAnsi } from './ansi.ts';

describe('parseAnsi', () => {
  it('turns the basic colours into themed classes and keeps decorations', () => {
    expect(parseAnsi('\u001b[1;31mfail\u001b[0m ok')).toEqual([
      { text: 'fail', className: 'fg-red ansi-bold', color: undefined, background: undefined },
      { text: ' ok', className: '', color: undefined, background: undefined },
    ]);
    expect(parseAnsi('\u001b[92mbright\u001b[0m')[0]?.className).toBe('fg-bright-green');
  });

  it('keeps 256-colour and true-colour values inline', () => {
    expect(parseAnsi('\u001b[38;5;208morange\u001b[0m')[0]?.color).toBe('rgb(255, 135, 0)');
    expect(parseAnsi('\u001b[38;5;244mgrey\u001b[0m')[0]?.color).toBe('rgb(128, 128, 128)');
    expect(parseAnsi('\u001b[38;2;10;20;30mtrue\u001b[0m')[0]?.color).toBe('rgb(10, 20, 30)');
  });

  it('drops codes it cannot show', () => {
    expect(parseAnsi('\u001b[2Kcleared').map((chunk) => chunk.text).join('')).toBe('cleared');
  });

  it('knows plain text needs no parsing', () => {
    expect(hasAnsi('plain')).toBe(false);
    expect(hasAnsi('\u001b[0m')).toBe(true);
  });
});
