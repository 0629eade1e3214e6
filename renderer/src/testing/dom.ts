// What jsdom lacks and the dashboard's libraries expect (as React Flow's and TanStack Virtual's
// testing notes describe): layout sizes, ResizeObserver, DOMMatrixReadOnly, matchMedia, a
// clipboard. Each component test calls installDom() once at its top.

import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';

class ResizeObserverStub {
  private readonly callback: ResizeObserverCallback;
  constructor(callback: ResizeObserverCallback) {
    this.callback = callback;
  }
  observe(target: Element): void {
    // Report one size soon after, as a browser does after layout.
    setTimeout(() => this.callback([{ target, contentRect: target.getBoundingClientRect() } as ResizeObserverEntry], this as unknown as ResizeObserver), 0);
  }
  unobserve(): void {}
  disconnect(): void {}
}

class DOMMatrixReadOnlyStub {
  readonly m22: number;
  constructor(transform?: string) {
    const scale = /scale\(([\d.]+)\)/.exec(transform ?? '')?.[1];
    this.m22 = scale === undefined ? 1 : Number(scale);
  }
}

/** Text written to the clipboard during the current test. */
export const clipboard: { text: string | null } = { text: null };

function define(target: object, property: string, value: unknown): void {
  Object.defineProperty(target, property, { configurable: true, writable: true, value });
}

function defineGetter(target: object, property: string, get: () => number): void {
  Object.defineProperty(target, property, { configurable: true, get });
}

export function installDom(): void {
  const g = globalThis as Record<string, unknown>;
  g.ResizeObserver ??= ResizeObserverStub;
  g.DOMMatrixReadOnly ??= DOMMatrixReadOnlyStub;
  // A viewport of 1000 × 600 for every element: virtual lists render a screenful of rows.
  defineGetter(HTMLElement.prototype, 'clientHeight', () => 600);
  defineGetter(HTMLElement.prototype, 'clientWidth', () => 1000);
  defineGetter(HTMLElement.prototype, 'offsetHeight', () => 600);
  defineGetter(HTMLElement.prototype, 'offsetWidth', () => 1000);
  define(Element.prototype, 'scrollTo', function scrollTo(this: Element, options: ScrollToOptions) {
    if (options.top !== undefined) this.scrollTop = options.top;
  });
  if (typeof SVGElement !== 'undefined') define(SVGElement.prototype, 'getBBox', () => ({ x: 0, y: 0, width: 40, height: 14 }));
  define(window, 'matchMedia', (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addEventListener: () => {},
    removeEventListener: () => {},
    addListener: () => {},
    removeListener: () => {},
    dispatchEvent: () => false,
  }));
  define(navigator, 'clipboard', {
    writeText: async (text: string) => {
      clipboard.text = text;
    },
  });
  beforeEach(() => {
    clipboard.text = null;
    localStorage.clear();
    sessionStorage.clear();
  });
  afterEach(() => cleanup());
}
