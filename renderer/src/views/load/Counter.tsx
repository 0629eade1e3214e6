// One big figure of a load test, coloured when it says something (failed in red).

import { formatCount } from '../../ui/format.ts';

export function Counter(props: { label: string; value: number; testId: string; tone?: 'good' | 'bad' | 'warn' }) {
  return (
    <div className={`counter${props.tone ? ` counter-${props.tone}` : ''}`}>
      <div className="counter-value mono" data-testid={props.testId}>
        {formatCount(props.value)}
      </div>
      <div className="counter-label">{props.label}</div>
    </div>
  );
}
