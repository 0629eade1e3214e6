// @vitest-environment jsdom
import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { AnsiText } from './AnsiText.tsx';

installDom();

describe('AnsiText', () => {
  it('renders plain text as a text node only', () => {
    const { container } = render(<AnsiText text="hello <b>" />);
    expect(container.innerHTML).toBe('hello &lt;b&gt;');
  });

  it('renders coloured runs as spans and never the escape codes', () => {
    const { container } = render(<AnsiText text={'\u001b[33mWARN\u001b[0m <script>x</script>'} />);
    expect(container.querySelector('span.fg-yellow')?.textContent).toBe('WARN');
    expect(container.querySelector('script')).toBeNull();
    expect(container.textContent).toBe('WARN <script>x</script>');
  });
});
