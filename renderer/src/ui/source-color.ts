// Each app gets one of eight colours for its name in the merged log, the same on every page load.

/** 0..7 for an app or process name (workers of one app share their app's colour). */
export function sourceColor(name: string): number {
  const app = name.replace(/-\d+$/, '');
  let hash = 0;
  for (let index = 0; index < app.length; index++) hash = (hash * 31 + app.charCodeAt(index)) | 0;
  return Math.abs(hash) % 8;
}
