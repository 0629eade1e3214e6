// Worker names are built and read here only: an app's workers are `<app>-<n>`, which is why an
// app's name may not end in -<number> (config/names.ts), and a static site's process carries the
// site's own name.

/** `api-2`: worker 2 of app `api`. */
export function workerName(app: string, worker: number): string {
  return `${app}-${worker}`;
}

/** The app and number in a worker's name (`api-2` → api, 2), or null for a name of another shape. */
export function parseWorkerName(name: string): { app: string; worker: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0 || !/^\d+$/.test(name.slice(dash + 1))) return null;
  return { app: name.slice(0, dash), worker: Number(name.slice(dash + 1)) };
}

/** The names `replicas` workers of `app` start with. */
export function firstWorkerNames(app: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => workerName(app, i + 1));
}
