// The environment the desktop app's stacks and editors get: this process's own, with the login
// shell's PATH in place of the one a GUI app starts with. Built for each use and handed over
// explicitly; this process's own environment is never written.

import { resolveLoginShellPath, type PathResolution } from '../env/login-shell.ts';

/** Resolves the login shell's PATH once, on first use, and builds environments on it. */
export class LoginEnvironment {
  private readonly resolver: () => Promise<PathResolution>;
  private readonly log: (line: string) => void;
  private resolution: Promise<PathResolution> | null = null;

  constructor(resolver: () => Promise<PathResolution> = () => resolveLoginShellPath(), log: (line: string) => void = () => {}) {
    this.resolver = resolver;
    this.log = log;
  }

  /** The PATH and how it was found; resolved (a shell's start-up) on the first call only, and logged once. */
  path(): Promise<PathResolution> {
    this.resolution ??= this.resolver().then((resolution) => {
      this.log(resolution.problem ? `PATH: ${resolution.problem}` : `PATH from ${resolution.shell} in ${resolution.durationMs} ms`);
      return resolution;
    });
    return this.resolution;
  }

  /** This process's environment with the login shell's PATH: for a stack's processes, or an editor. */
  async env(): Promise<NodeJS.ProcessEnv> {
    return { ...process.env, PATH: (await this.path()).path };
  }
}
