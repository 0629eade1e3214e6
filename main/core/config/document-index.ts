// One pass over a parsed YAML document that indexes what position lookups need (each map's keys, each
// alias's anchor) and finds what YAML itself lets through: duplicate keys, aliases that refer to the node
// they sit in, and aliases that expand without bound (a "billion laughs"). Lookups through the index
// cost the depth of the path, not the size of the maps on it, so a file with thousands of apps stays linear.
import { isAlias, isMap, isScalar, isSeq, Lexer } from 'yaml';
import type { Alias, Document, Node, Pair, YAMLMap } from 'yaml';

/**
 * How many values aliases may add to the document, counting each alias as a copy of its anchor. A
 * stack file shares a few settings through `<<: *defaults` (hundreds of values); a billion laughs needs
 * millions, and 100 000 keeps the cost of any file bounded.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

/** How deep lists and maps written inline (`[…]`, `{…}`) may sit inside one another; a stack file needs three or four. */
export const MAX_FLOW_DEPTH = 64;

/** Something wrong with the document's structure, at a character offset. */
export interface DocumentProblem {
  offset: number;
  message: string;
  /** Whether the document cannot be turned into values at all. */
  fatal: boolean;
}

interface Frame {
  node: Node;
  children: Node[];
  next: number;
  /** The node itself plus its children so far, each alias counted as its anchor's expanded size. */
  size: number;
}

/** Each map's keys, each alias's anchor, and the document's structural problems. */
export class DocumentIndex {
  readonly problems: DocumentProblem[] = [];
  readonly #keys = new Map<YAMLMap, Map<string, Pair>>();
  readonly #anchorOf = new Map<Alias, Node>();
  /** Pairs with a `<<` key, checked once every alias is resolved. */
  readonly #merges: Pair[] = [];

  constructor(doc: Document.Parsed) {
    if (doc.contents !== null && this.#walk(doc.contents)) this.#checkMerges();
  }

  /** The first pair of `map` whose key reads `key`. */
  pair(map: YAMLMap, key: string): Pair | undefined {
    return this.#keys.get(map)?.get(key);
  }

  /** The node an alias refers to: the last anchor of its name before it. */
  anchorOf(alias: Alias): Node | undefined {
    return this.#anchorOf.get(alias);
  }

  // Iterative, so that nesting as deep as YAML accepts cannot exhaust the stack here. The sizes of
  // anchored nodes are known once they are complete; an alias to one still open is inside it.
  // False when it stopped at an alias bomb.
  #walk(root: Node): boolean {
    const anchors = new Map<string, Node>();
    const sizes = new Map<Node, number>();
    let expansion = 0;
    const stack: Frame[] = [];
    /** Opens a collection and returns null, or returns the size of a scalar or an alias. */
    const enter = (node: Node): number | null => {
      if (node.anchor) anchors.set(node.anchor, node);
      if (isMap(node) || isSeq(node)) {
        stack.push({ node, children: isMap(node) ? this.#indexMap(node) : node.items.filter(isNode), next: 0, size: 1 });
        return null;
      }
      if (!isAlias(node)) {
        if (node.anchor) sizes.set(node, 1);
        return 1;
      }
      const anchor = anchors.get(node.source);
      if (anchor === undefined) {
        this.#problem(node, `alias *${node.source} refers to no anchor; define &${node.source} before it is used, on the map or value to repeat`, true);
        return 1;
      }
      this.#anchorOf.set(node, anchor);
      const size = sizes.get(anchor);
      if (size === undefined) {
        this.#problem(node, `alias *${node.source} is inside the &${node.source} it refers to, so it would repeat without end; write the settings out instead`, true);
        return 1;
      }
      expansion += size;
      return size;
    };
    enter(root);
    while (stack.length > 0) {
      const frame = stack.at(-1) as Frame;
      const child = frame.children[frame.next++];
      if (child !== undefined) {
        const size = enter(child);
        if (size !== null) frame.size += size;
        if (expansion > MAX_ALIAS_EXPANSION) {
          const message = `this alias makes the aliases of the file expand to more than ${MAX_ALIAS_EXPANSION} values (an alias bomb); a stack file needs far fewer, so write the repeated settings out or share them through one <<: *anchor`;
          this.#problem(child, message, true);
          return false;
        }
        continue;
      }
      stack.pop();
      if (frame.node.anchor) sizes.set(frame.node, frame.size);
      const parent = stack.at(-1);
      if (parent) parent.size += frame.size;
    }
    return true;
  }

  /** Indexes the keys of a map, reports a repeated or complex key, and returns its keys and values in order. */
  #indexMap(map: YAMLMap): Node[] {
    const keys = new Map<string, Pair>();
    const children: Node[] = [];
    for (const pair of map.items as Pair[]) {
      const key = keyText(pair.key);
      if (isMap(pair.key) || isSeq(pair.key)) {
        this.#problem(pair.key, 'a key must be a name or a text, not a list or a map', true);
      } else if (key !== undefined && keys.has(key)) {
        this.#problem(pair.key as Node, `duplicate key '${key}'; a key may appear only once in a map, so remove or rename one`, false);
      } else if (key !== undefined) keys.set(key, pair);
      if (isMergeKey(pair.key)) this.#merges.push(pair);
      if (isNode(pair.key)) children.push(pair.key);
      if (isNode(pair.value)) children.push(pair.value);
    }
    this.#keys.set(map, keys);
    return children;
  }

  // YAML can merge a map, an alias of one, or a list of those; anything else makes it throw.
  #checkMerges(): void {
    // An alias with no anchor has been reported already.
    const isMapLike = (node: unknown) => isMap(node) || (isAlias(node) && (!this.#anchorOf.has(node) || isMap(this.#anchorOf.get(node))));
    for (const { key, value } of this.#merges) {
      if (isMapLike(value) || (isSeq(value) && value.items.every(isMapLike))) continue;
      this.#problem((isNode(value) ? value : key) as Node, '<< merges the settings of a map into this one, like <<: *defaults or <<: [*a, *b]; give it an alias of a map', true);
    }
  }

  #problem(node: Node, message: string, fatal: boolean): void {
    this.problems.push({ offset: node.range?.[0] ?? 0, message, fatal });
  }
}

/**
 * Where inline lists and maps nest deeper than MAX_FLOW_DEPTH, found before parsing: YAML's parser slows
 * with the depth it holds open (a 1 MiB `[[[…` took it 5 s), while its lexer stays fast. Only a text
 * with that many brackets at all is lexed, so an ordinary file costs one scan of its characters.
 */
export function deepFlowProblem(text: string): DocumentProblem | null {
  let brackets = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x5b || code === 0x7b) brackets++;
  }
  if (brackets <= MAX_FLOW_DEPTH) return null;
  let offset = 0;
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') depth++;
    else if (token === ']' || token === '}') depth--;
    if (depth > MAX_FLOW_DEPTH) {
      return { offset, message: `lists and maps are nested more than ${MAX_FLOW_DEPTH} deep here; a stack file needs a few levels, so flatten what is written here`, fatal: true };
    }
    // The lexer's markers for a document, a scalar and a flow error stand for no text.
    if (token !== '\x02' && token !== '\x18' && token !== '\x1f') offset += token.length;
  }
  return null;
}

/** A key as the plain object built from the document names it (null as ''), or undefined for a list, map or alias. */
function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return isNode(key) ? undefined : key === null || key === undefined ? '' : String(key);
  if (isMergeKey(key)) return '<<';
  return key.value === null ? '' : String(key.value);
}

// With merge keys on, YAML turns a plain `<<` key into a symbol.
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

function isNode(value: unknown): value is Node {
  return isAlias(value) || isScalar(value) || isMap(value) || isSeq(value);
}
