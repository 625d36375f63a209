import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { api, must } from '../api/client';
import { ProblemMessage } from '../components/problem';
import { carrierName, OUTCOME_LABELS, STATUS_LABELS, type Message } from './messages-labels';
import './messages.css';

/** Until a message is sent or has failed, its attempts may still change. */
const UNSETTLED = new Set<Message['status']>(['queued', 'sending']);

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : null);

type Attempt = NonNullable<Message['attempts']>[number];

function Timeline({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p>No carrier was tried yet.</p>;
  return (
    <ol className="timeline" aria-label="Carrier attempts, oldest first">
      {attempts.map((a, i) => {
        const previous = attempts[i - 1];
        const failover = previous && previous.carrier !== a.carrier;
        return (
          <li key={a.id}>
            {failover ? (
              <p className="failover-note">
                Failover: {carrierName(previous.carrier)} → {carrierName(a.carrier)}
              </p>
            ) : null}
            <h3>
              Attempt {i + 1}: {carrierName(a.carrier)}
            </h3>
            <p>
              Outcome: <strong>{OUTCOME_LABELS[a.outcome] ?? a.outcome}</strong>
              {a.errorCode ? ` (carrier code ${a.errorCode})` : ''}
            </p>
            <p className="hint">
              Tried {when(a.createdAt)}
              {a.completedAt ? `, answered ${when(a.completedAt)}` : ''}
            </p>
          </li>
        );
      })}
    </ol>
  );
}

export function MessagePage() {
  const { id } = useParams<{ id: string }>();
  const message = useQuery({
    queryKey: ['message', id],
    queryFn: () => must(api.GET('/v1/messages/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && !UNSETTLED.has(q.state.data.status) ? false : 1000),
  });
  const m = message.data;
  return (
    <>
      <p>
        <Link href="/messages">← All messages</Link>
      </p>
      <h1>
        {m
          ? `Message ${m.direction === 'inbound' ? 'from' : 'to'} ${(m.direction === 'inbound' ? m.from : m.to) ?? '(deleted)'}`
          : 'Message'}
      </h1>
      <ProblemMessage error={message.error} />
      {message.isPending ? <p className="loading">Loading…</p> : null}
      {m ? (
        <>
          <section aria-labelledby="message-facts-title">
            <h2 id="message-facts-title">Details</h2>
            <dl className="message-facts">
              <dt>Status</dt>
              <dd>
                <span role="status" className={`status status-${m.status}`}>
                  {STATUS_LABELS[m.status]}
                </span>
                {m.error ? ` — ${m.error.code}${m.error.detail ? `: ${m.error.detail}` : ''}` : ''}
              </dd>
              <dt>To</dt>
              <dd className="phone">{m.to ?? '—'}</dd>
              <dt>From</dt>
              <dd className="phone">{m.from ?? '—'}</dd>
              <dt>Created</dt>
              <dd>{when(m.createdAt)}</dd>
              {m.sentAt ? (
                <>
                  <dt>Sent</dt>
                  <dd>{when(m.sentAt)}</dd>
                </>
              ) : null}
              {m.deliveredAt ? (
                <>
                  <dt>Delivered</dt>
                  <dd>{when(m.deliveredAt)}</dd>
                </>
              ) : null}
              {m.failedAt ? (
                <>
                  <dt>Failed</dt>
                  <dd>{when(m.failedAt)}</dd>
                </>
              ) : null}
              <dt>Segments</dt>
              <dd>
                {m.segments} ({m.encoding})
              </dd>
              <dt>Price</dt>
              <dd>{m.price ? `${m.price.amount} ${m.price.currency.toUpperCase()}` : '—'}</dd>
              <dt>Carrier</dt>
              <dd>{carrierName(m.carrier)}</dd>
              {m.campaignId ? (
                <>
                  <dt>Campaign</dt>
                  <dd>
                    <Link href={`/campaigns/${m.campaignId}`}>View the campaign</Link>
                  </dd>
                </>
              ) : null}
            </dl>
            <h3>Text</h3>
            {m.body === null ? <p className="hint">The text was purged after 90 days.</p> : <p className="message-body">{m.body}</p>}
          </section>
          <section aria-labelledby="attempts-title">
            <h2 id="attempts-title">Carrier attempts</h2>
            <Timeline attempts={m.attempts ?? []} />
          </section>
        </>
      ) : null}
    </>
  );
}
