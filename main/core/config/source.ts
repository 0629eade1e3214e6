// The parsed YAML of a stack file, kept beside its values so every issue can point at a line and column.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import type { SourcePosition, StackIssue } from '../../../shared/stack.ts';

/** Keys and indexes from the top of the document down to one node. */
export type YamlPath = readonly (string | number)[];

interface Located {
  /** The deepest node reached along the path. */
  node: Node | null;
  /** The pair holding that node when it is a map value. */
  pair: Pair<unknown, unknown> | null;
  /** Whether the whole path exists, or only a prefix of it. */
  complete: boolean;
}

/** A stack file's text parsed to a YAML document, with YAML's own errors as issues. */
export class StackSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly issues: StackIssue[] = [];
  /** Whether the YAML is too broken to check further; a duplicate key alone is not. */
  readonly fatal: boolean;
  readonly #lines = new LineCounter();
  readonly #text: string;

  constructor(file: string, text: string) {
    this.file = file;
    this.#text = text;
    // Merge keys (`<<: *defaults`) are off in YAML 1.2 but are how compose files share settings.
    this.doc = parseDocument(text, { lineCounter: this.#lines, merge: true, prettyErrors: false });
    for (const error of this.doc.errors) this.#yamlIssue(error, 'error');
    this.fatal = this.doc.errors.some((error) => error.code !== 'DUPLICATE_KEY');
    for (const warning of this.doc.warnings) this.#yamlIssue(warning, 'warning');
  }

  /** Where the node at `path` is written: its value, or with `at: 'key'` its key; the nearest ancestor when missing. */
  position(path: YamlPath, at: 'key' | 'value' = 'value'): SourcePosition {
    const { node, pair, complete } = this.#locate(path);
    const key = pair?.key as Node | null | undefined;
    if (complete && key?.range && (at === 'key' || isEmpty(node))) return this.#at(key.range[0]);
    if (node?.range) return this.#at(node.range[0]);
    return { line: 1, col: 1 };
  }

  /** The text a scalar was written as (`1.10` rather than the number 1.1), when the path ends at a scalar. */
  scalarText(path: YamlPath): string | undefined {
    const { node, complete } = this.#locate(path);
    return complete && isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
  }

  /** An issue pointing at the node at `path`. */
  issue(path: YamlPath, message: string, severity: StackIssue['severity'] = 'error', at: 'key' | 'value' = 'value'): StackIssue {
    return { file: this.file, ...this.position(path, at), message, severity };
  }

  #locate(path: YamlPath): Located {
    let node: Node | null = this.doc.contents;
    let pair: Pair<unknown, unknown> | null = null;
    for (const segment of path) {
      const container: Node | null = isAlias(node) ? (node.resolve(this.doc) ?? null) : node;
      let next: { node: Node | null; pair: Pair<unknown, unknown> | null } | undefined;
      if (isMap(container)) {
        const found = container.items.find((item) => keyText(item.key) === String(segment));
        if (found) next = { node: (found.value as Node | null) ?? null, pair: found };
      } else if (isSeq(container) && typeof segment === 'number') {
        const item = container.items[segment] as Node | undefined;
        if (item) next = { node: item, pair: null };
      }
      if (!next) return { node, pair, complete: false };
      ({ node, pair } = next);
    }
    return { node, pair, complete: true };
  }

  #at(offset: number): SourcePosition {
    const { line, col } = this.#lines.linePos(offset);
    return { line, col };
  }

  #yamlIssue(error: { code: string; message: string; pos: [number, number] }, severity: StackIssue['severity']): void {
    const where = this.#at(error.pos[0]);
    const message =
      error.code === 'DUPLICATE_KEY'
        ? `duplicate key '${keyAt(this.#text, error.pos[0])}'; a key may appear only once in a map, so remove or rename one`
        : `YAML ${severity === 'error' ? 'syntax error' : 'warning'}: ${error.message}`;
    this.issues.push({ file: this.file, ...where, message, severity });
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function isEmpty(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null && !node.source);
}

// YAML reports a duplicate key by the offset of its first character only.
function keyAt(text: string, offset: number): string {
  const match = /^("[^"\n]*"|'[^'\n]*'|[^:\n]+?)\s*:/.exec(text.slice(offset));
  return match?.[1]?.replace(/^["']|["']$/g, '') ?? text.slice(offset, offset + 1);
}
