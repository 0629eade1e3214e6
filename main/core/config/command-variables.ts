// Variables in command arguments: `$NAME`, `${NAME}` and `${NAME:-default}` take their value from the
// worker's environment, `$$` is a literal `$`. No shell is involved: nothing else is expanded, a value
// is never split into several arguments, and a variable nobody defined is an error rather than ''.
//
// Libraries looked at first (dotenv-expand, string-env-interpolation, envsub): each turns an undefined
// variable into '' and escapes with `\$` (or not at all), which are the two rules this grammar exists for.

/** Where a variable's value comes from: the worker's environment. */
export type VariableLookup = (name: string) => string | undefined;

/** A `$` reference that cannot be expanded, as written in the argument. */
export interface ExpansionProblem {
  /** The reference as written, like `$PORTT` or `${X`. */
  written: string;
  /** Where it starts in the argument. */
  offset: number;
  /** The variable it names, when it is an undefined one; absent for a malformed reference. */
  undefinedName?: string;
  message: string;
}

/** An argument after expansion, with every reference that could not be expanded (each left out of the text). */
export interface Expansion {
  text: string;
  problems: ExpansionProblem[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;

/** Expands one command argument against `lookup`. */
export function expandVariables(text: string, lookup: VariableLookup): Expansion {
  const problems: ExpansionProblem[] = [];
  const out = expandRange(text, 0, text.length, lookup, problems);
  return { text: out, problems };
}

function expandRange(text: string, from: number, to: number, lookup: VariableLookup, problems: ExpansionProblem[]): string {
  let out = '';
  let i = from;
  while (i < to) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0 || dollar >= to) {
      out += text.slice(i, to);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      i = braced(text, dollar, to, lookup, problems, (value) => (out += value));
    } else if (next !== undefined && dollar + 1 < to && NAME_START.test(next)) {
      let end = dollar + 2;
      while (end < to && NAME_PART.test(text[end] ?? '')) end++;
      const name = text.slice(dollar + 1, end);
      const value = lookup(name);
      if (value === undefined) problems.push(undefinedProblem(text.slice(dollar, end), dollar, name));
      else out += value;
      i = end;
    } else {
      problems.push({ written: '$', offset: dollar, message: `a lone '$' in '${text}': write $$ for a literal $, or $NAME or \${NAME} for a variable` });
      i = dollar + 1;
    }
  }
  return out;
}

/** `${NAME}` or `${NAME:-default}` starting at `dollar`; returns where reading goes on. */
function braced(text: string, dollar: number, to: number, lookup: VariableLookup, problems: ExpansionProblem[], emit: (value: string) => void): number {
  const close = matchingBrace(text, dollar + 2, to);
  const written = text.slice(dollar, close < 0 ? to : close + 1);
  if (close < 0) {
    problems.push({ written, offset: dollar, message: `'${written}' in '${text}' has no closing }; write \${NAME} or \${NAME:-default}` });
    return to;
  }
  const inside = text.slice(dollar + 2, close);
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(:-)?/.exec(inside);
  const name = match?.[1];
  const rest = match ? inside.slice(match[0].length) : inside;
  if (name === undefined || (match?.[2] === undefined && rest !== '')) {
    problems.push({ written, offset: dollar, message: `'${written}' in '${text}' is not a variable Switchyard expands; write \${NAME} or \${NAME:-default} (no other shell forms), or $$ for a literal $` });
    return close + 1;
  }
  const value = lookup(name);
  if (match?.[2] !== undefined) {
    // As in a shell, the default stands in for a variable that is unset or empty, and is itself expanded.
    const start = dollar + 2 + match[0].length;
    emit(value === undefined || value === '' ? expandRange(text, start, close, lookup, problems) : value);
  } else if (value === undefined) problems.push(undefinedProblem(written, dollar, name));
  else emit(value);
  return close + 1;
}

/** The index of the `}` closing a `${` whose name starts at `from`, counting nested `${…}`; -1 when there is none. */
function matchingBrace(text: string, from: number, to: number): number {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') i++;
    else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function undefinedProblem(written: string, offset: number, name: string): ExpansionProblem {
  return {
    written,
    offset,
    undefinedName: name,
    message: `'${written}' names ${name}, which is not defined: not in the app's env or env_file, the environment Switchyard started with, nor set by Switchyard; define it, write \${${name}:-default}, or write $$ for a literal $`,
  };
}
