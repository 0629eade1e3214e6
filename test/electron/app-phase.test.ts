// The desktop app's phases: its transition table, walked through every pair.

import { describe, expect, it } from 'vitest';
import { AppPhases, type AppPhase } from '../../main/electron/app-phase.ts';

const PHASES: readonly AppPhase[] = ['launching', 'running', 'stopping', 'killing', 'quit'];

/** A fresh AppPhases moved along `path` (every step must be allowed). */
function at(path: readonly AppPhase[]): AppPhases {
  const phases = new AppPhases();
  for (const step of path) expect(phases.moveTo(step)).toBe(true);
  return phases;
}

describe('AppPhases', () => {
  it('launches, runs, stops on a quit, kills on a second one, then quits', () => {
    const phases = at([]);
    expect(phases.current).toBe('launching');
    expect(at(['running', 'stopping', 'killing', 'quit']).current).toBe('quit');
    // A stop that ends before a second quit goes straight on to quitting.
    expect(at(['running', 'stopping', 'quit']).current).toBe('quit');
    // A quit during launch stops whatever launch started.
    expect(at(['stopping']).current).toBe('stopping');
  });

  it('refuses every other move, and stays where it was', () => {
    const allowed: Record<AppPhase, readonly AppPhase[]> = {
      launching: ['running', 'stopping'],
      running: ['stopping'],
      stopping: ['killing', 'quit'],
      killing: ['quit'],
      quit: [],
    };
    const reach: Record<AppPhase, readonly AppPhase[]> = { launching: [], running: ['running'], stopping: ['running', 'stopping'], killing: ['running', 'stopping', 'killing'], quit: ['running', 'stopping', 'quit'] };
    for (const from of PHASES) {
      for (const to of PHASES) {
        const phases = at(reach[from]);
        expect({ from, to, moved: phases.moveTo(to) }).toEqual({ from, to, moved: allowed[from].includes(to) });
        expect(phases.current).toBe(allowed[from].includes(to) ? to : from);
      }
    }
  });
});
