// The PATH of an environment. Windows spells the variable as it likes (usually `Path`) and looks it
// up without regard to case; elsewhere it is `PATH`.

/** The value of `env`'s PATH variable, or undefined when it has none. */
export function pathVariable(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform !== 'win32') return env.PATH;
  const key = Object.keys(env).find((name) => name.toUpperCase() === 'PATH');
  return key === undefined ? undefined : env[key];
}

/** The variables of `env` that have a value (process.env's type allows undefined ones). */
export function definedVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
