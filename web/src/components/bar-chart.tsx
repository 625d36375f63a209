export interface Bar {
  label: string;
  value: number;
}

/**
 * A small SVG bar chart; the same figures are in a visually hidden table for screen readers.
 * `limit` draws a line (a spend cap) across the bars.
 */
export function BarChart({
  title,
  bars,
  limit,
  format = String,
}: {
  title: string;
  bars: Bar[];
  limit?: number | null;
  format?: (n: number) => string;
}) {
  const top = Math.max(limit ?? 0, ...bars.map((b) => b.value)) || 1;
  const width = 600;
  const height = 160;
  const slot = bars.length > 0 ? width / bars.length : width;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={title} preserveAspectRatio="none">
        {bars.map((b, i) => {
          const h = (b.value / top) * height;
          return <rect key={b.label} x={i * slot + slot * 0.15} y={height - h} width={slot * 0.7} height={h} className="chart-bar" />;
        })}
        {limit ? (
          <line x1={0} x2={width} y1={height - (limit / top) * height} y2={height - (limit / top) * height} className="chart-limit" />
        ) : null}
      </svg>
      {/* In a clipped box: a table never shrinks below its content, so hidden itself it would widen a narrow page. */}
      <div className="visually-hidden">
        <table>
          <caption>{title}</caption>
          <tbody>
            {bars.map((b) => (
              <tr key={b.label}>
                <th scope="row">{b.label}</th>
                <td>{format(b.value)}</td>
              </tr>
            ))}
            {limit ? (
              <tr>
                <th scope="row">Limit</th>
                <td>{format(limit)}</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
