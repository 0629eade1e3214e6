// Turns zod's issues into messages a user can act on: which field of which app, what was found,
// what would be valid, and where in the file.
import { closestMatch } from 'leven';
import type { z } from 'zod';
import type { StackIssue } from '../../../shared/stack.ts';
import { describeValue, validKeysAt } from './schema.ts';
import type { StackSource, YamlPath } from './source.ts';

const MISSING_HINTS: Record<string, string> = {
  command: 'add one, like command: node server.js',
  root: 'add the folder to serve, like root: ./dist',
  to: 'add the app, static site or http(s):// URL it goes to',
  listen: 'add a port, like listen: 8080',
  routes: 'add at least one, like routes: [{ path: /, to: web }]',
};

/** The issues of one section's zod check; `base` is where the section sits in the file, `raw` its value. */
export function reportSchemaIssues(source: StackSource, base: YamlPath, raw: unknown, issues: readonly z.core.$ZodIssue[]): StackIssue[] {
  return issues.flatMap((issue) => {
    const inner = issue.path.filter((segment) => typeof segment !== 'symbol');
    return translate(source, [...base, ...inner], lookup(raw, inner), issue);
  });
}

function translate(source: StackSource, path: YamlPath, found: Lookup, issue: z.core.$ZodIssue): StackIssue[] {
  const { entity, field } = splitPath(path);
  if (issue.code === 'unrecognized_keys') {
    const inMap = path.length === 0 ? 'at the top level' : `in ${mapName(path)}`;
    const valid = validKeysAt(path);
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, valid, { maxDistance: Math.max(2, Math.floor(key.length / 3)) });
      const didYouMean = suggestion ? `; did you mean '${suggestion}'?` : ';';
      return source.issue([...path, key], `unknown key '${key}' ${inMap}${didYouMean} valid keys: ${valid.join(', ')}`, 'error', 'key');
    });
  }
  const last = path.at(-1);
  if (!found.exists && typeof last === 'string') {
    const owner = path.slice(0, -1);
    const hint = MISSING_HINTS[last] ?? 'add it';
    return [source.issue(owner, `${mapName(owner)} has no '${last}'; ${hint}`)];
  }
  const label = field.length > 0 ? formatField(field) : entity;
  const where = field.length > 0 && entity !== '' ? ` (${entity})` : '';
  if (issue.code === 'invalid_key') {
    const reason = issue.issues[0]?.message ?? 'is not a valid key';
    const map = field.length > 1 ? formatField(field.slice(0, -1)) : 'key';
    return [source.issue(path, `${map} name '${String(last)}' ${reason}${where}`, 'error', 'key')];
  }
  if (issue.code === 'custom') {
    const sentence = issue.message.startsWith(`${label} `)
      ? issue.message
      : issue.message.startsWith('must ')
        ? `${label} ${issue.message}`
        : `${label}: ${issue.message}`;
    return [source.issue(path, `${sentence}${where}`)];
  }
  let got = `; got ${describeValue(found.value)}`;
  if (issue.code === 'invalid_value' && typeof found.value === 'string') {
    const options = issue.values.map(String);
    const suggestion = closestMatch(found.value, options, { maxDistance: Math.max(2, Math.floor(found.value.length / 3)) });
    if (suggestion) got += `; did you mean '${suggestion}'?`;
  }
  return [source.issue(path, `${label} ${issue.message}${got}${where}`)];
}

/** How a message names the map at a path: `app 'api'`, `health of app 'api'`, `proxy`. */
function mapName(path: YamlPath): string {
  const { entity, field } = splitPath(path);
  if (entity === '') return field.length > 0 ? formatField(field) : 'the stack file';
  return field.length > 0 ? `${formatField(field)} of ${entity}` : entity;
}

interface Lookup {
  exists: boolean;
  value: unknown;
}

function lookup(raw: unknown, path: readonly PropertyKey[]): Lookup {
  let value = raw;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return { exists: false, value: undefined };
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return { exists: true, value };
}

/** The app, static site, task or route a path is inside (`app 'api'`), and the field within it. */
export function splitPath(path: YamlPath): { entity: string; field: YamlPath } {
  const [section, name, ...rest] = path;
  const noun = section === 'apps' ? 'app' : section === 'static' ? 'static site' : section === 'tasks' ? 'task' : null;
  if (noun !== null && name !== undefined) return { entity: `${noun} '${String(name)}'`, field: rest };
  if (section === 'proxy' && name === 'routes' && typeof rest[0] === 'number') {
    return { entity: `proxy route ${rest[0] + 1}`, field: rest.slice(1) };
  }
  if (section === 'proxy' && name !== undefined) return { entity: 'proxy', field: path.slice(1) };
  return { entity: '', field: path };
}

/** `health.interval`, `env_file[1]`. */
export function formatField(field: YamlPath): string {
  return field.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}
