// `image:` and `build:` of an app or a task: what `switchyard export compose|k8s` runs it from. `up`
// ignores both, but checks them like any other key, so that an export does not find the mistake later.
import path from 'node:path';
import type { ContainerImage } from '../../../shared/stack.ts';
import { lookupOnce, pathKind, report } from './build-context.ts';
import type { BuildContext } from './build-context.ts';
import type { YamlPath } from './source.ts';

/** The image of the app or task at `at` (named `what` in messages), undefined when neither key is written or after reporting why it is invalid. */
export async function buildContainerImage(ctx: BuildContext, at: YamlPath, what: string, input: { image?: string | undefined; build?: string | undefined }): Promise<ContainerImage | undefined> {
  if (input.image !== undefined && input.build !== undefined) {
    report(ctx, [...at, 'build'], `${what} gives both image and build; keep one: image: to run a published image, build: to build one from a folder`);
    return undefined;
  }
  if (input.image !== undefined) return { image: input.image };
  if (input.build === undefined) return undefined;
  const folder = path.resolve(ctx.dir, input.build);
  const kind = await lookupOnce(ctx, `kind ${folder}`, () => pathKind(folder));
  if (kind !== 'directory') {
    const problem = kind === 'missing' ? 'does not exist' : 'is not a folder';
    report(ctx, [...at, 'build'], `build '${input.build}' of ${what} ${problem} (looked for ${folder}); name the folder that holds its Dockerfile`);
    return undefined;
  }
  return { build: folder };
}
