import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveProgram, splitCommand } from '../../main/core/config/command.ts';
import { makeStackDir } from './stack-dir.ts';
import type { StackDir } from './stack-dir.ts';

describe('splitCommand', () => {
  it('splits on spaces and honours quotes and escapes', () => {
    expect(splitCommand('node server.js --port 3000')).toEqual(['node', 'server.js', '--port', '3000']);
    expect(splitCommand(`python3 -c "print('hi there')" 'a b' c\\ d`)).toEqual(['python3', '-c', "print('hi there')", 'a b', 'c d']);
  });

  it('keeps variables literal, as no shell expands them', () => {
    expect(splitCommand('echo $HOME ${USER}x "$PATH" \'$Q\'')).toEqual(['echo', '$HOME', '${USER}x', '$PATH', '$Q']);
  });

  it.each([
    ['node a.js | tee log', '|'],
    ['make && node a.js', '&&'],
    ['node a.js > out.log', '>'],
    ['node a.js; echo done', ';'],
    ['rm *.log', '*.log'],
    ['node a.js # the server', '#'],
  ])('refuses the shell syntax in %j', (text, operator) => {
    expect(() => splitCommand(text)).toThrow(
      `command '${text}' uses the shell syntax '${operator}', but commands run without a shell; quote it if it is a plain argument, ` +
        `write the command as a list, or use command: [sh, -c, ${JSON.stringify(text)}]`,
    );
  });

  it('accepts operators inside quotes as plain arguments', () => {
    expect(splitCommand(`grep "a|b" '*.log'`)).toEqual(['grep', 'a|b', '*.log']);
  });

  it('refuses an empty command', () => {
    expect(() => splitCommand('   ')).toThrow('command is empty');
  });
});

describe('resolveProgram', () => {
  let stack: StackDir;
  beforeEach(async () => {
    stack = await makeStackDir();
  });
  afterEach(async () => {
    await stack.remove();
  });

  it('finds a bare name on the PATH it is given', async () => {
    const nodeDir = path.dirname(process.execPath);
    const found = await resolveProgram('node', stack.dir, nodeDir);
    expect(found).toBe(path.join(nodeDir, path.basename(process.execPath)));
    expect(await resolveProgram('node', stack.dir, stack.dir)).toBeNull();
    expect(await resolveProgram('no-such-program-xyz', stack.dir, nodeDir)).toBeNull();
  });

  it.skipIf(process.platform === 'win32')('resolves a path with a slash against cwd and wants it executable', async () => {
    const script = await stack.write('bin/run.sh', '#!/bin/sh\n', { executable: true });
    await stack.write('bin/plain.txt', 'x');
    expect(await resolveProgram('./bin/run.sh', stack.dir, '')).toBe(script);
    expect(await resolveProgram('./bin/plain.txt', stack.dir, '')).toBeNull();
    expect(await resolveProgram('./bin/missing.sh', stack.dir, '')).toBeNull();
    expect(await resolveProgram('./bin', stack.dir, '')).toBeNull();
  });

  it.skipIf(process.platform === 'win32')('resolves a relative PATH entry against cwd', async () => {
    const tool = await stack.write('app/node_modules/.bin/tool', '#!/bin/sh\n', { executable: true });
    expect(await resolveProgram('tool', path.join(stack.dir, 'app'), 'node_modules/.bin')).toBe(tool);
  });
});
