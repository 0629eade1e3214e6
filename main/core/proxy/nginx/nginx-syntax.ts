// The pieces of nginx's configuration language the generator writes: quoted strings (where `$`
// would start a variable), PCRE literals, durations, and an indented block writer.

/** A `"…"` string nginx reads back as `text` exactly: `$` goes through the `$sy_dollar` variable (nginx has no escape for it). */
export function quoted(text: string): string {
  return `"${escaped(text).replace(/\$/g, '${sy_dollar}')}"`;
}

/** A quoted string whose `$name` variables nginx expands. */
export function quotedTemplate(text: string): string {
  return `"${escaped(text)}"`;
}

function escaped(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
}

/** `text` as a PCRE literal, quoted for nginx (regexes are not variable templates, so `$` stays an escaped dollar). */
export function quotedRegex(pattern: string): string {
  return `"${pattern.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Escapes `text` so that PCRE matches it literally. */
export function regexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);
}

/** nginx's duration syntax: `250ms`, `10s`. */
export function duration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/** `host:port` for `listen` and `server`, with brackets around an IPv6 address. */
export function address(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Writes directives and blocks with two-space indentation. */
export class ConfWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  /** One directive (`;` added) or a comment/blank line when it starts with `#` or is empty. */
  line(text: string): void {
    if (text === '' || text.startsWith('#')) this.lines.push(text === '' ? '' : `${'  '.repeat(this.depth)}${text}`);
    else this.lines.push(`${'  '.repeat(this.depth)}${text};`);
  }

  /** `head { … }` with the body written by `body`. */
  block(head: string, body: () => void): void {
    this.lines.push(`${'  '.repeat(this.depth)}${head} {`);
    this.depth++;
    body();
    this.depth--;
    this.lines.push(`${'  '.repeat(this.depth)}}`);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
