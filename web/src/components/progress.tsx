/** A labelled progress bar (role=progressbar), with its figure in words beside it. */
export function ProgressBar({ label, value, max, text }: { label: string; value: number; max: number | null; text?: string }) {
  const percent = max && max > 0 ? Math.min(100, Math.floor((value / max) * 100)) : null;
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max ?? undefined}
        aria-valuenow={max ? value : undefined}
        aria-valuetext={text ?? (percent === null ? `${value}` : `${percent}%`)}
      >
        <div className="progress-fill" style={{ width: `${percent ?? 0}%` }} />
      </div>
      <span className="progress-text">{text ?? (percent === null ? value.toLocaleString() : `${percent}%`)}</span>
    </div>
  );
}
