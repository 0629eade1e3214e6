// `static.NAME`: a folder served by its own static server process.
import path from 'node:path';
import type { StaticSiteSpec } from '../../../shared/stack.ts';
import { pathKind, report } from './build-context.ts';
import type { BuildContext } from './build-context.ts';
import { staticSchema } from './schema.ts';
import { reportSchemaIssues } from './schema-issues.ts';

/** The static site `name`, or null after reporting why it is invalid. */
export async function buildStaticSite(ctx: BuildContext, name: string, raw: unknown): Promise<StaticSiteSpec | null> {
  const at = ['static', name];
  const parsed = staticSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    ctx.issues.push(...reportSchemaIssues(ctx.source, at, raw, parsed.error.issues));
    return null;
  }
  const root = path.resolve(ctx.dir, parsed.data.root);
  const kind = await pathKind(root);
  if (kind !== 'directory') {
    const problem = kind === 'missing' ? 'does not exist' : 'is not a folder';
    report(ctx, [...at, 'root'], `root '${parsed.data.root}' of static site '${name}' ${problem} (looked for ${root}); build the site first or fix the path`);
    return null;
  }
  return { name, root, spa: parsed.data.spa };
}
