// The variables of a command: $NAME, ${NAME}, ${NAME:-default} and $$, with no shell.
import { describe, expect, it } from 'vitest';
import { expandVariables } from '../../main/core/config/command-variables.ts';
import { displayCommand } from '../../main/core/config/worker-command.ts';
import { processCommand } from '../../main/core/process/process-spec.ts';
import type { ProcessSpec } from '../../main/core/process/process-spec.ts';
import { fixtureApp } from '../helpers/specs.ts';

const env: Record<string, string> = { PORT: '8001', HOST: '127.0.0.1', EMPTY: '', SPACED: 'a b' };
const expand = (text: string) => expandVariables(text, (name) => env[name]);

describe('expandVariables', () => {
  it.each([
    ['--port=$PORT', '--port=8001'],
    ['${HOST}:${PORT}', '127.0.0.1:8001'],
    ['$HOST:$PORT', '127.0.0.1:8001'],
    ['${PORT}0', '80010'],
    ['$PORT_X', undefined],
    ['${LEVEL:-info}', 'info'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${PORT:-9000}', '8001'],
    ['${LEVEL:-$HOST:${PORT}}', '127.0.0.1:8001'],
    ['cost $$5 and $$$PORT', 'cost $5 and $8001'],
    ['$$PORT', '$PORT'],
    ['no variables: main:app', 'no variables: main:app'],
    ['$SPACED', 'a b'],
  ])('%j → %j', (text, expected) => {
    const { text: out, problems } = expand(text);
    if (expected === undefined) expect(problems).not.toEqual([]);
    else {
      expect(problems).toEqual([]);
      expect(out).toBe(expected);
    }
  });

  it('reports each undefined variable with where it starts, and leaves it out', () => {
    const { text, problems } = expand('a$NOPE-${ALSO}-$PORT');
    expect(text).toBe('a--8001');
    expect(problems.map((p) => [p.written, p.offset, p.undefinedName])).toEqual([
      ['$NOPE', 1, 'NOPE'],
      ['${ALSO}', 7, 'ALSO'],
    ]);
    expect(problems[0]?.message).toContain('write ${NOPE:-default}, or write $$ for a literal $');
  });

  it.each([
    ['price$', '$', 5],
    ['$ 1', '$', 0],
    ['${PORT', '${PORT', 0],
    ['x${PORT:?missing}', '${PORT:?missing}', 1],
    ['${1}', '${1}', 0],
    ['$(date)', '$', 0],
  ])('refuses the malformed %j', (text, written, offset) => {
    const { problems } = expand(text);
    expect(problems.map((p) => [p.written, p.offset, p.undefinedName])).toEqual([[written, offset, undefined]]);
  });
});

describe('processCommand', () => {
  const spec = (argv: string[], kind: ProcessSpec['kind'] = 'worker'): ProcessSpec => ({ ...fixtureApp('api', 'graceful.js'), argv, name: 'api-2', app: 'api', kind, worker: 2 });

  it("expands each worker's command from its own environment, so each gets its own port", () => {
    const argv = ['gunicorn', '-b', '127.0.0.1:$PORT', '--name', '${SWITCHYARD_APP}-$SWITCHYARD_WORKER', 'app:app'];
    expect(processCommand(spec(argv), { PORT: '41001', SWITCHYARD_APP: 'api', SWITCHYARD_WORKER: '2' })).toEqual({
      argv: ['gunicorn', '-b', '127.0.0.1:41001', '--name', 'api-2', 'app:app'],
      unexpanded: [],
    });
  });

  it("passes Switchyard's own processes their argv untouched", () => {
    expect(processCommand(spec(['/opt/a$b/node', 'proxy-main.ts'], 'proxy'), {}).argv).toEqual(['/opt/a$b/node', 'proxy-main.ts']);
  });

  it('passes a variable missing at spawn as empty text and names it', () => {
    expect(processCommand(spec(['run', '--x=$GONE']), {})).toEqual({ argv: ['run', '--x='], unexpanded: ['$GONE'] });
  });
});

describe('displayCommand', () => {
  it('shows arguments as they run, quoting only where a space or quote would hide where one ends', () => {
    expect(displayCommand(['uvicorn', 'main:app', '--port', '<port>', '--root-path', '/api', '127.0.0.1:8000'])).toBe('uvicorn main:app --port <port> --root-path /api 127.0.0.1:8000');
    expect(displayCommand(['python3', '-c', "print('hi')", '', 'a$b'])).toBe(`python3 -c 'print('\\''hi'\\'')' '' 'a$b'`);
  });
});
