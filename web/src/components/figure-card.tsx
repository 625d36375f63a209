import type { ReactNode } from 'react';

/**
 * One figure in a `<dl className="cards">`: its label and value, the value marked `data-<kind>="<name>"`
 * (what the browser tests read).
 */
export function FigureCard({
  label,
  value,
  name,
  kind = 'figure',
}: {
  label: ReactNode;
  value: ReactNode;
  name: string;
  kind?: 'figure' | 'estimate';
}) {
  return (
    <div className="card">
      <dt>{label}</dt>
      <dd className="figure" {...{ [`data-${kind}`]: name }}>
        {value}
      </dd>
    </div>
  );
}
