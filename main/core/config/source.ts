// The parsed YAML of a stack file, kept beside its values so every issue can point at a line and column.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import type { SourcePosition, StackIssue } from '../../../shared/stack.ts';
import { deepFlowProblem, DocumentIndex } from './document-index.ts';
import type { DocumentProblem } from './document-index.ts';

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
  readonly issues: StackIssue[] = [];
  /** The document as plain values; undefined when `fatal`. */
  readonly values: unknown;
  /** Whether the YAML is too broken to check further; a duplicate key alone is not. */
  readonly fatal: boolean;
  readonly #lines = new LineCounter();
  readonly #doc: Document.Parsed | null = null;
  readonly #index: DocumentIndex | null = null;
  readonly #text: string;

  constructor(file: string, text: string) {
    this.file = file;
    this.#text = text;
    const tooDeep = deepFlowProblem(text);
    if (tooDeep) {
      // The parser fills in where lines start; without a parse, the lines up to the problem are counted here.
      this.#lines.addNewLine(0);
      for (let i = text.indexOf('\n'); i !== -1 && i < tooDeep.offset; i = text.indexOf('\n', i + 1)) this.#lines.addNewLine(i + 1);
      this.#problem(tooDeep);
      this.fatal = true;
      return;
    }
    // Merge keys (`<<: *defaults`) are off in YAML 1.2 but are how compose files share settings.
    // Duplicate keys are found by the index: YAML's own check compares each key with every earlier one.
    // Tags outside YAML's core schema (!!binary, !!timestamp, !!js/function …) stay text, with a warning.
    this.#doc = parseDocument(text, { lineCounter: this.#lines, merge: true, prettyErrors: false, uniqueKeys: false, resolveKnownTags: false });
    this.#index = new DocumentIndex(this.#doc);
    for (const error of this.#doc.errors) this.#yamlIssue(error, 'error');
    for (const problem of this.#index.problems) this.#problem(problem);
    for (const warning of this.#doc.warnings) this.#yamlIssue(warning, 'warning');
    this.fatal = this.#doc.errors.length > 0 || this.#index.problems.some((problem) => problem.fatal);
    if (this.fatal) return;
    try {
      // Aliases were bounded while indexing, with positions; YAML's own count would refuse a file
      // that shares one anchor among more than 100 apps.
      this.values = this.#doc.toJS({ maxAliasCount: -1 });
    } catch (error) {
      // The index looks for what makes YAML fail here; anything it missed is still an issue, not a crash.
      this.issues.push({ file, line: 1, col: 1, message: `cannot read the values of the stack file: ${(error as Error).message}`, severity: 'error' });
      this.fatal = true;
    }
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

  /**
   * An issue pointing at one character of a value: `offset` into `text`, where `text` is written as it
   * is inside the node at `path` (a `$PORTT` in a command string). At the node itself when the text is
   * not found there as written (escapes in a quoted string).
   */
  issueWithin(path: YamlPath, text: string, offset: number, message: string): StackIssue {
    const { node, complete } = this.#locate(path);
    const range = complete ? node?.range : undefined;
    const found = range ? this.#text.slice(range[0], range[1]).indexOf(text) : -1;
    if (range && found >= 0) return { file: this.file, ...this.#at(range[0] + found + offset), message, severity: 'error' };
    return this.issue(path, message);
  }

  /** An issue pointing at the node at `path`. */
  issue(path: YamlPath, message: string, severity: StackIssue['severity'] = 'error', at: 'key' | 'value' = 'value'): StackIssue {
    return { file: this.file, ...this.position(path, at), message, severity };
  }

  #locate(path: YamlPath): Located {
    let node: Node | null = this.#doc?.contents ?? null;
    let pair: Pair<unknown, unknown> | null = null;
    for (const segment of path) {
      const container: Node | null = isAlias(node) ? (this.#index?.anchorOf(node) ?? null) : node;
      let next: { node: Node | null; pair: Pair<unknown, unknown> | null } | undefined;
      if (isMap(container)) {
        const found = this.#index?.pair(container, String(segment));
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

  #problem(problem: DocumentProblem): void {
    this.issues.push({ file: this.file, ...this.#at(problem.offset), message: problem.message, severity: 'error' });
  }

  #yamlIssue(error: { code: string; message: string; pos: [number, number] }, severity: StackIssue['severity']): void {
    const where = this.#at(error.pos[0]);
    const message = `YAML ${severity === 'error' ? 'syntax error' : 'warning'}: ${error.message}`;
    this.issues.push({ file: this.file, ...where, message, severity });
  }
}

function isEmpty(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null && !node.source);
}
