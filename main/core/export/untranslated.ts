// What an export could not carry into its target: each is said on stderr, one line each, instead of
// being dropped silently, so that nobody deploys believing the target does what the stack file says.

/** One setting the target has no place for, or takes differently. */
export interface Untranslated {
  /** The app, task, static site or route it belongs to: `app 'api'`, `route /api/`. */
  owner: string;
  /** The stack file key, as written there: `watch`, `health.restart_after`. */
  key: string;
  /** What happens instead, and what to do about it. */
  why: string;
  /** The output holds a stand-in here (an image name) that must be replaced before it can run. */
  placeholder?: true;
}

/** One file an export writes, by its name in the output folder. */
export interface ExportFile {
  name: string;
  text: string;
}

/** What an export produced: its files, and what it could not translate. */
export interface ExportResult {
  files: ExportFile[];
  untranslated: Untranslated[];
}

/** `app 'api': watch: …`, as the CLI prints it. */
export function formatUntranslated(item: Untranslated): string {
  return `${item.owner}: ${item.key}: ${item.why}`;
}
