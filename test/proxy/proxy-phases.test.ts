// The proxy process's phase table: the hand-over's paths are allowed, shortcuts around it are not.

import { describe, expect, it } from 'vitest';
import { canMove, IllegalPhaseError, PHASE_TRANSITIONS } from '../../main/core/proxy/builtin/proxy-phases.ts';
import type { ProxyPhase } from '../../main/core/proxy/builtin/proxy-phases.ts';

function allowsPath(path: ProxyPhase[]): boolean {
  return path.every((phase, i) => i === 0 || canMove(path[i - 1] as ProxyPhase, phase));
}

describe('proxy phases', () => {
  it('allows a restart: the old process hands over, retires and goes idle; the new one is configured and listens', () => {
    expect(allowsPath(['down', 'spawned', 'configured', 'listening', 'handing-over', 'retiring', 'idle', 'down'])).toBe(true);
    expect(allowsPath(['down', 'spawned', 'configured', 'listening'])).toBe(true);
  });

  it('allows the old process back to listening when the new one fails to take over', () => {
    expect(canMove('handing-over', 'listening')).toBe(true);
  });

  it('allows a SIGTERM from anywhere (idle) and an exit (down) from every live phase', () => {
    for (const phase of ['spawned', 'configured', 'listening', 'handing-over', 'retiring'] as const) {
      expect(canMove(phase, 'idle'), phase).toBe(true);
      expect(canMove(phase, 'down'), phase).toBe(true);
    }
    expect(canMove('idle', 'down')).toBe(true);
  });

  it('refuses shortcuts: listening unconfigured or without a process, retiring without handing over, coming back from idle or retiring', () => {
    const refused: [ProxyPhase, ProxyPhase][] = [
      ['down', 'listening'],
      ['down', 'configured'],
      ['spawned', 'listening'],
      ['listening', 'retiring'],
      ['listening', 'spawned'],
      ['retiring', 'listening'],
      ['idle', 'listening'],
      ['idle', 'idle'],
      ['down', 'down'],
    ];
    for (const [from, to] of refused) expect(canMove(from, to), `${from} -> ${to}`).toBe(false);
  });

  it('names both phases when a move is refused', () => {
    expect(new IllegalPhaseError('retiring', 'listening').message).toBe('proxy: illegal phase transition retiring -> listening');
  });

  it('lets every phase end with its process, and a new run start only from down', () => {
    const phases = Object.keys(PHASE_TRANSITIONS) as ProxyPhase[];
    for (const phase of phases) if (phase !== 'down') expect(canMove(phase, 'down'), phase).toBe(true);
    expect(phases.filter((phase) => canMove(phase, 'spawned'))).toEqual(['down']);
  });
});
