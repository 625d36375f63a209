import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, must } from '../api/client';

const DISMISSED_KEY = 'massivesms.dismissed-notices';

/** Which notices (id and content version) this browser dismissed: a changed notice shows again. */
function dismissed(): string[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(DISMISSED_KEY) ?? '[]');
    return Array.isArray(stored) ? stored.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The account's notices (policy and subprocessor changes in their notice period, breach notices)
 * on every page until dismissed; the API decides what is in force, this only hides what was read.
 */
export function NoticeBanners() {
  const [hidden, setHidden] = useState(dismissed);
  const notices = useQuery({
    queryKey: ['notices'],
    queryFn: () => must(api.GET('/v1/notices')),
    refetchInterval: 5 * 60_000,
  });
  const shown = (notices.data?.data ?? []).filter((n) => !hidden.includes(`${n.id}:${n.contentVersion}`));
  if (shown.length === 0) return null;
  const dismiss = (key: string) => {
    const next = [...hidden, key].slice(-200);
    localStorage.setItem(DISMISSED_KEY, JSON.stringify(next));
    setHidden(next);
  };
  return (
    <section aria-label="Notices" className="banners">
      {shown.map((n) => (
        <div key={n.id} className="banner" role="note" aria-label={n.title}>
          <div>
            <strong>{n.title}</strong>
            <p className="banner-body">{n.body}</p>
            {n.shownUntil ? <p className="hint">Takes effect {new Date(n.shownUntil).toLocaleDateString()}.</p> : null}
          </div>
          <button type="button" onClick={() => dismiss(`${n.id}:${n.contentVersion}`)} aria-label={`Dismiss notice: ${n.title}`}>
            Dismiss
          </button>
        </div>
      ))}
    </section>
  );
}
