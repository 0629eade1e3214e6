// A line of output with its colours, as spans of text.

import { hasAnsi, parseAnsi } from './ansi.ts';

export function AnsiText(props: { text: string }) {
  if (!hasAnsi(props.text)) return <>{props.text}</>;
  return (
    <>
      {parseAnsi(props.text).map((chunk, index) =>
        chunk.className || chunk.color || chunk.background ? (
          <span key={index} className={chunk.className || undefined} style={chunk.color || chunk.background ? { color: chunk.color, backgroundColor: chunk.background } : undefined}>
            {chunk.text}
          </span>
        ) : (
          chunk.text
        ),
      )}
    </>
  );
}
