// What an app or a task becomes in a container, the same for Compose and Kubernetes: its image, its
// command with the variables Switchyard would have expanded, its environment, and the settings only
// Switchyard's own supervisor has.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import type { AppSpec, TaskSpec } from '../../../shared/stack.ts';
import { expandVariables } from '../config/command-variables.ts';
import type { Untranslated } from './untranslated.ts';

/**
 * The port every app listens on inside its container. Each container has its own network namespace,
 * so one fixed port serves every app, and upstreams and Services can name it without a lookup.
 */
export const CONTAINER_PORT = 8000;

/** What is written where an app or task gives neither `image:` nor `build:`, so the file still parses. */
export const IMAGE_PLACEHOLDER = 'REPLACE-ME';

/** `app 'api'` or `task 'migrate'`, as messages name them. */
export function ownerOf(program: AppSpec | TaskSpec): string {
  return 'replicas' in program ? `app '${program.name}'` : `task '${program.name}'`;
}

/** The environment the container starts with, before `env_file`: the port Switchyard would give and the app's name. */
function switchyardVariables(program: AppSpec | TaskSpec): Record<string, string> {
  const port = 'portEnv' in program && program.portEnv !== null ? { [program.portEnv]: String(CONTAINER_PORT) } : {};
  return { ...port, SWITCHYARD_APP: program.name };
}

/**
 * The container's environment split as the target writes it: the files (their paths, and the values
 * they give), and `inline` holding Switchyard's own variables and each `env` value the files do not already give.
 */
export function containerEnvironment(program: AppSpec | TaskSpec): { inline: Record<string, string>; files: string[]; fromFiles: Record<string, string> } {
  const files = program.envFiles ?? [];
  const fromFiles: Record<string, string> = {};
  for (const file of files) Object.assign(fromFiles, parseEnv(readFileSync(file, 'utf8')));
  const inline: Record<string, string> = {};
  for (const [key, value] of Object.entries(program.env)) if (fromFiles[key] !== value) inline[key] = value;
  return { inline: { ...inline, ...switchyardVariables(program) }, files, fromFiles };
}

// A server bound to loopback inside a container answers nobody else: the proxy's container, or a
// Service, reaches it on the container's own address.
const LOOPBACK_BIND = /(^|=)(127\.0\.0\.1|localhost)(?=$|:)/;

// `${NAME:-default}`, not after a `$` that makes it literal text (`$${…}`).
const DEFAULTED = /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}/g;

/**
 * The command as the container runs it (exec form, no shell), its variables expanded as a worker's
 * would be with the container's port, and a loopback bind address widened to 0.0.0.0. `notes`
 * says what was changed or could not be expanded.
 */
export function containerCommand(program: AppSpec | TaskSpec): { argv: string[]; notes: Untranslated[] } {
  const env = { ...program.env, ...switchyardVariables(program) };
  const owner = ownerOf(program);
  const notes: Untranslated[] = [];
  const argv = program.argv.map((argument) => {
    const { text, problems } = expandVariables(argument, (name) => env[name]);
    if (problems.length > 0) {
      const names = problems.map((problem) => problem.written).join(', ');
      notes.push({ owner, key: 'command', why: `${names} comes from the environment Switchyard runs in, which the container does not have; kept as written in '${argument}', set it in env or fix the command` });
      return argument;
    }
    for (const [, name, fallback] of argument.matchAll(DEFAULTED)) {
      if (name !== undefined && env[name] === undefined) notes.push({ owner, key: 'command', why: `\${${name}:-…} is not set in the container, so its default '${fallback}' is written; make sure the image has it, or set ${name} in env` });
    }
    if (!LOOPBACK_BIND.test(text)) return text;
    const widened = text.replace(LOOPBACK_BIND, (_bind, before: string) => `${before}0.0.0.0`);
    notes.push({ owner, key: 'command', why: `'${text}' binds loopback, which nothing outside the container reaches; written as '${widened}'` });
    return widened;
  });
  return { argv, notes };
}

/**
 * A program run in a folder of the stack's own starts, in a container, in its image's WORKDIR: the
 * export cannot know where that folder's files are in the image, so it says so.
 */
export function workingDirNote(program: AppSpec | TaskSpec, stackDir: string): Untranslated[] {
  if (program.cwd === stackDir) return [];
  const folder = relativePath(stackDir, program.cwd);
  return [{ owner: ownerOf(program), key: 'cwd', why: `the command runs in the image's WORKDIR, not in ${folder}: make the WORKDIR hold what ${folder} does` }];
}

/** A path as the exports write it: relative to `from`, with forward slashes, starting with ./ or ../. */
export function relativePath(from: string, to: string): string {
  const relative = path.relative(from, to).split(path.sep).join('/');
  if (relative === '') return '.';
  return relative.startsWith('../') || relative === '..' ? relative : `./${relative}`;
}

/** The image, or the placeholder with a note naming the key to add. */
export function imageOrPlaceholder(program: AppSpec | TaskSpec, notes: Untranslated[]): { image: string } | { build: string } {
  if (program.container) return program.container;
  notes.push({ owner: ownerOf(program), key: 'image', why: `neither image: nor build: is given, so '${IMAGE_PLACEHOLDER}' stands in; add image: NAME or build: FOLDER to it in the stack file`, placeholder: true });
  return { image: IMAGE_PLACEHOLDER };
}

/**
 * What only Switchyard's supervisor does, which neither Compose nor Kubernetes has: each setting that
 * differs from its default, as one note.
 */
export function supervisorOnly(app: AppSpec): Untranslated[] {
  const owner = ownerOf(app);
  const notes: Untranslated[] = [];
  const note = (key: string, why: string) => notes.push({ owner, key, why });
  if (app.watch.length > 0) note('watch', 'a file change does not redeploy; build and roll out a new image instead');
  if (app.maxRequests > 0) note('max_requests', 'no worker is recycled after a number of requests; use the server\'s own (gunicorn --max-requests) if it has one');
  if (app.maxRequestsJitter > 0) note('max_requests_jitter', 'dropped with max_requests');
  if (app.reload) note('reload.signal', `a rollout replaces containers; ${app.reload.signal} is not sent to reload in place`);
  if (app.backoff.initial !== 500 || app.backoff.max !== 30_000) note('backoff', 'the restart delay is the runtime\'s own');
  if (app.minUptime !== 5000) note('min_uptime', 'the runtime decides what counts as a crash loop');
  if (app.maxRestarts !== 10) note('max_restarts', 'the runtime restarts without that limit');
  return notes;
}
