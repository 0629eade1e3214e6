// Scripts run as processes of their own are started from outside the asar archive.

import { describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { childScript, unpackedPath } from '../../main/core/process/child-script.ts';

describe('childScript', () => {
  it('resolves a script beside the calling module', () => {
    const base = pathToFileURL('/opt/switchyard/main/core/proxy/builtin-engine.ts').href;
    expect(childScript('./builtin/proxy-main.ts', base)).toBe('/opt/switchyard/main/core/proxy/builtin/proxy-main.ts');
  });

  it('moves a script inside app.asar to app.asar.unpacked', () => {
    const base = pathToFileURL('/opt/Switchyard/resources/app.asar/main/core/process/watchdog.ts').href;
    expect(childScript('./watchdog-main.ts', base)).toBe('/opt/Switchyard/resources/app.asar.unpacked/main/core/process/watchdog-main.ts');
  });

  it('leaves a path already unpacked as it is', () => {
    const file = '/opt/Switchyard/resources/app.asar.unpacked/main/core/static/static-main.ts';
    expect(unpackedPath(file)).toBe(file);
    expect(childScript('./static-main.ts', pathToFileURL(file).href)).toBe(file);
  });

  it('knows Windows separators', () => {
    expect(unpackedPath('C:\\Program Files\\Switchyard\\resources\\app.asar\\main\\core\\static\\static-main.ts')).toBe(
      'C:\\Program Files\\Switchyard\\resources\\app.asar.unpacked\\main\\core\\static\\static-main.ts',
    );
    expect(unpackedPath('C:\\Switchyard\\resources\\app.asar.unpacked\\main\\x.ts')).toBe('C:\\Switchyard\\resources\\app.asar.unpacked\\main\\x.ts');
  });

  it('replaces only a whole app.asar segment', () => {
    for (const file of ['/srv/app.asarx/main/x.ts', '/srv/my-app.asar/main/x.ts', '/srv/app.asar.bak/main/x.ts', 'C:\\srv\\app.asarx\\x.ts']) {
      expect(unpackedPath(file)).toBe(file);
    }
    expect(unpackedPath('/srv/resources/app.asar')).toBe('/srv/resources/app.asar.unpacked');
  });
});
