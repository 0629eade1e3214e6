// `tasks.NAME`: a command run to completion (a migration, an asset build), checked as an app's program is.
import type { TaskSpec } from '../../../shared/stack.ts';
import { buildProgram, dependencies } from './app-spec.ts';
import type { BuildContext } from './build-context.ts';
import { buildContainerImage } from './container-image.ts';
import { taskSchema } from './schema.ts';
import { reportSchemaIssues } from './schema-issues.ts';

/** The task `name`, or null after reporting why it is invalid. */
export async function buildTask(ctx: BuildContext, name: string, raw: unknown): Promise<TaskSpec | null> {
  const at = ['tasks', name];
  const parsed = taskSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    ctx.issues.push(...reportSchemaIssues(ctx.source, at, raw, parsed.error.issues));
    return null;
  }
  const [program, container] = await Promise.all([
    buildProgram(ctx, at, `task '${name}'`, parsed.data, { name, portEnv: null }),
    buildContainerImage(ctx, at, `task '${name}'`, parsed.data),
  ]);
  if (program === null || (container === undefined && (parsed.data.image !== undefined || parsed.data.build !== undefined))) return null;
  return { name, ...program, dependsOn: dependencies(parsed.data.depends_on), ...(container ? { container } : {}) };
}
