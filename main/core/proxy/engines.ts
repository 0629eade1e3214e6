// The proxy engines a stack file may name (`proxy.engine`), by name.

import type { ProxyEngineName } from '../../../shared/stack.ts';
import { builtinEngine } from './builtin-engine.ts';
import type { EngineFactory } from './engine.ts';
import { nginxEngine } from './nginx/nginx-engine.ts';

/** The factory of the engine called `name`. */
export function engineNamed(name: ProxyEngineName = 'builtin'): EngineFactory {
  return name === 'nginx' ? nginxEngine : builtinEngine;
}
