// One line of the merged log: time, source (coloured by app), text with its ANSI colours. stderr
// is marked red and Switchyard's own lines are dim.

import { memo } from 'react';
import type { LogLine } from '../../../../shared/process.ts';
import { AnsiText } from '../../ui/AnsiText.tsx';
import { formatClock } from '../../ui/format.ts';
import { sourceColor } from '../../ui/source-color.ts';

export const LOG_ROW_HEIGHT = 20;

export const LogRow = memo(function LogRow(props: { line: LogLine; top: number }) {
  const { line } = props;
  return (
    <div
      className={`log-row stream-${line.stream}`}
      style={{ transform: `translateY(${props.top}px)` }}
      data-testid="log-line"
      data-seq={line.seq}
      data-source={line.source}
      data-stream={line.stream}
    >
      <span className="log-time">{formatClock(line.time)}</span>
      <span className={`log-source src-${sourceColor(line.source)}`} title={`${line.source} · ${line.stream}`}>
        {line.source}
      </span>
      <span className="log-text">
        <AnsiText text={line.text} />
      </span>
    </div>
  );
});
