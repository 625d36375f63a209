import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSearch } from 'wouter';
import { api, must } from '../api/client';
import type { paths } from '../api/schema';
import { BarChart, type Bar } from '../components/bar-chart';
import { TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import type { PageRoute } from '../routes';
import { brandName, cardText, dateOf, expiryOf, minorMoney, money } from './billing-format';
import './billing.css';

type Billing = paths['/v1/billing']['get']['responses'][200]['content']['application/json'];
type SpendCap = paths['/v1/billing']['patch']['responses'][200]['content']['application/json']['spendCap'];
type BillingRecord = Billing['records'][number];

const BILLING_QUERY = ['billing'] as const;
/** How long the page waits for Stripe's webhook after Checkout sent the browser back. */
const CONFIRM_WAIT_MS = 60_000;

/** The newest card change on record (records are newest first), to tell a new card from the one before Checkout. */
const latestCardRecord = (billing: Billing | undefined) => billing?.records.find((r) => r.kind === 'payment_method')?.id ?? 'none';

/** Where Checkout sends the browser back to: this page, saying which card record was the newest when we left. */
function returnUrls(before: string) {
  const here = `${window.location.origin}/app/billing`;
  return {
    successUrl: `${here}?checkout=done&before=${encodeURIComponent(before)}`,
    cancelUrl: `${here}?checkout=cancelled`,
  };
}

function useBilling(poll: boolean) {
  return useQuery({
    queryKey: BILLING_QUERY,
    queryFn: () => must(api.GET('/v1/billing')),
    refetchInterval: poll ? 1000 : false,
  });
}

function CheckoutReturn({ billing, before, onConfirmed }: { billing: Billing | undefined; before: string; onConfirmed: () => void }) {
  const [timedOut, setTimedOut] = useState(false);
  const confirmed = billing !== undefined && billing.paymentMethod !== null && latestCardRecord(billing) !== before;
  useEffect(() => {
    if (confirmed) {
      onConfirmed();
      return;
    }
    const timer = window.setTimeout(() => setTimedOut(true), CONFIRM_WAIT_MS);
    return () => window.clearTimeout(timer);
  }, [confirmed, onConfirmed]);
  if (confirmed && billing.paymentMethod)
    return (
      <p role="status" className="billing-notice ok">
        Card saved: {cardText(billing.paymentMethod)}.
      </p>
    );
  if (timedOut)
    return (
      <p role="status" className="billing-notice">
        Stripe has not confirmed the card yet. It will show here once it does; reload the page in a minute.
      </p>
    );
  return (
    <p role="status" className="billing-notice" aria-busy="true">
      <span className="spinner" aria-hidden="true" /> Waiting for Stripe to confirm your card…
    </p>
  );
}

function CardSection({ billing, returning }: { billing: Billing | undefined; returning: { before: string } | null }) {
  const [polling, setPolling] = useState(returning !== null);
  const stopPolling = useCallback(() => setPolling(false), []);
  const query = useBilling(polling);
  const data = query.data ?? billing;
  const checkout = useMutation({
    mutationFn: () => must(api.POST('/v1/billing/checkout-sessions', { body: returnUrls(latestCardRecord(data)) })),
    // Stripe's page (the simulator's in development) takes over the whole tab; it sends the browser back here.
    onSuccess: (session) => window.location.assign(session.url),
  });
  const card = data?.paymentMethod ?? null;
  return (
    <section aria-labelledby="card-title">
      <h2 id="card-title">Card</h2>
      {returning ? <CheckoutReturn billing={data} before={returning.before} onConfirmed={stopPolling} /> : null}
      {card ? (
        <dl className="billing-card">
          <div>
            <dt>Brand</dt>
            <dd>{brandName(card.brand)}</dd>
          </div>
          <div>
            <dt>Number</dt>
            <dd>
              <span aria-hidden="true">•••• </span>
              <span className="visually-hidden">ending in </span>
              <span data-testid="card-last4">{card.last4}</span>
            </dd>
          </div>
          <div>
            <dt>Expires</dt>
            <dd>{expiryOf(card)}</dd>
          </div>
        </dl>
      ) : data ? (
        <p>No card yet. Add one to keep sending after the trial; it is entered on Stripe&apos;s page, never sent to us.</p>
      ) : null}
      {data?.subscription ? <p className="hint">Subscription: {data.subscription.status}</p> : null}
      <ProblemMessage error={checkout.error} />
      <button type="button" onClick={() => checkout.mutate()} disabled={checkout.isPending || checkout.isSuccess}>
        {card ? 'Change card' : 'Add card'}
      </button>
      {checkout.isPending || checkout.isSuccess ? (
        <span role="status" className="hint">
          {' '}
          Opening Stripe Checkout…
        </span>
      ) : null}
    </section>
  );
}

function Usage() {
  const usage = useQuery({
    queryKey: ['usage', 'day'],
    queryFn: () => must(api.GET('/v1/usage', { params: { query: { groupBy: 'day' } } })),
  });
  const data = usage.data;
  const bars: Bar[] = [];
  if (data) {
    const byDay = new Map(data.data.map((d) => [d.day ?? '', Number(d.cost)]));
    const end = new Date(data.to);
    for (let d = new Date(data.from); d < end; d = new Date(d.getTime() + 86_400_000)) {
      const day = d.toISOString().slice(0, 10);
      bars.push({ label: day, value: byDay.get(day) ?? 0 });
    }
  }
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage this month</h2>
      <ProblemMessage error={usage.error} />
      {data ? (
        <>
          <div className="cards">
            <div className="card">
              <div>Messages</div>
              <div className="figure">{data.totals.messages.toLocaleString()}</div>
            </div>
            <div className="card">
              <div>Segments</div>
              <div className="figure">{data.totals.segments.toLocaleString()}</div>
            </div>
            <div className="card">
              <div>Cost</div>
              <div className="figure">{money(data.totals.cost, data.currency)}</div>
            </div>
          </div>
          {data.totals.messages === 0 ? (
            <p>No messages sent this month yet: the cost per day will show here.</p>
          ) : (
            <BarChart title="Cost per day (UTC)" bars={bars} format={(n) => money(n, data.currency)} />
          )}
        </>
      ) : null}
    </section>
  );
}

function SpendCapSection({ billing }: { billing: Billing | undefined }) {
  const client = useQueryClient();
  const cap: SpendCap | null = billing?.spendCap ?? null;
  const [value, setValue] = useState('');
  useEffect(() => setValue(cap?.monthlyCap ?? ''), [cap?.monthlyCap]);
  const save = useMutation({
    mutationFn: (monthlySpendCap: string | null) => must(api.PATCH('/v1/billing', { body: { monthlySpendCap } })),
    onSuccess: async (data) => {
      client.setQueryData<Billing>(BILLING_QUERY, (old) => (old ? { ...old, spendCap: data.spendCap } : old));
      await client.invalidateQueries({ queryKey: ['usage'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(value.trim());
  };
  const currency = cap?.currency.toUpperCase() ?? 'account currency';
  return (
    <section aria-labelledby="cap-title">
      <h2 id="cap-title">Spend cap</h2>
      {cap ? (
        <p data-testid="spend-cap-state">
          {cap.monthlyCap === null
            ? `No monthly cap. Spent this month: ${money(cap.periodSpend, cap.currency)}.`
            : `Monthly cap: ${money(cap.monthlyCap, cap.currency)}. Spent this month: ${money(cap.periodSpend, cap.currency)} (${cap.percentOfCap ?? 0} %).`}
          {cap.capReached ? <strong> The cap is reached: new sends are refused until next month or a higher cap.</strong> : null}
        </p>
      ) : (
        <p className="hint">Save a cap to see this month&apos;s spend against it.</p>
      )}
      <form onSubmit={submit} noValidate>
        <TextField
          label={`Monthly spend cap (${currency})`}
          name="monthlySpendCap"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          error={save.error}
          inputMode="decimal"
          hint="Alerts at 50, 80 and 100 %. At the cap new sends are refused, queued messages wait and campaigns pause."
        />
        <div className="billing-actions">
          <button type="submit" disabled={save.isPending}>
            Save cap
          </button>
          <button type="button" className="secondary" onClick={() => save.mutate(null)} disabled={save.isPending}>
            Remove cap
          </button>
        </div>
        {save.isSuccess ? <span role="status"> Saved.</span> : null}
      </form>
    </section>
  );
}

function Invoices({ records }: { records: BillingRecord[] }) {
  const invoices = records.filter((r) => r.kind === 'invoice' && r.invoice);
  return (
    <section aria-labelledby="invoices-title">
      <h2 id="invoices-title">Invoices</h2>
      {invoices.length === 0 ? (
        <p>No invoices yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Period</th>
                <th scope="col">Amount due</th>
                <th scope="col">Paid</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {invoices.map((r) => {
                const inv = r.invoice!;
                const currency = inv.currency ?? 'usd';
                return (
                  <tr key={r.id}>
                    <th scope="row">
                      {inv.hostedInvoiceUrl ? (
                        <a href={inv.hostedInvoiceUrl} target="_blank" rel="noreferrer">
                          {inv.number ?? 'Invoice'}
                        </a>
                      ) : (
                        (inv.number ?? 'Invoice')
                      )}
                    </th>
                    <td>
                      {dateOf(inv.periodStart)} – {dateOf(inv.periodEnd)}
                    </td>
                    <td>{inv.amountDue === null ? '—' : minorMoney(inv.amountDue, currency)}</td>
                    <td>{inv.amountPaid === null ? '—' : minorMoney(inv.amountPaid, currency)}</td>
                    <td>{r.status}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function describe(r: BillingRecord): string {
  if (r.kind === 'payment_method' && r.paymentMethod) return `Card: ${cardText(r.paymentMethod)}`;
  if (r.kind === 'credit' && r.credit)
    return `Credit of ${minorMoney(r.credit.amount, r.credit.currency ?? 'usd')}${r.reason ? `: ${r.reason}` : ''}`;
  return r.kind;
}

function History({ records }: { records: BillingRecord[] }) {
  const other = records.filter((r) => r.kind !== 'invoice');
  if (other.length === 0) return null;
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Card changes and credits</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">What</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {other.map((r) => (
              <tr key={r.id}>
                <th scope="row">{new Date(r.occurredAt).toLocaleString()}</th>
                <td>{describe(r)}</td>
                <td>{r.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Standing({ billing }: { billing: Billing }) {
  if (billing.sendingSuspended)
    return (
      <div className="problem" role="alert">
        Sending is suspended{billing.sendingSuspendedAt ? ` since ${new Date(billing.sendingSuspendedAt).toLocaleString()}` : ''}: an
        invoice is unpaid. Add or change your card to pay it.
      </div>
    );
  if (billing.dunning)
    return (
      <div className="problem" role="alert">
        A payment failed. Sending will be suspended on {new Date(billing.dunning.suspendsAt).toLocaleString()} unless the invoice is paid:
        change your card below.
      </div>
    );
  return null;
}

function BillingPage() {
  const params = new URLSearchParams(useSearch());
  const checkout = params.get('checkout');
  const returning = checkout === 'done' ? { before: params.get('before') ?? 'none' } : null;
  const billing = useBilling(false);
  return (
    <>
      <h1>Billing</h1>
      {checkout === 'cancelled' ? (
        <p role="status" className="billing-notice">
          Checkout was cancelled; your card was not changed.
        </p>
      ) : null}
      <ProblemMessage error={billing.error} />
      {billing.data ? <Standing billing={billing.data} /> : null}
      <CardSection billing={billing.data} returning={returning} />
      <Usage />
      <SpendCapSection billing={billing.data} />
      <Invoices records={billing.data?.records ?? []} />
      <History records={billing.data?.records ?? []} />
    </>
  );
}

export const billingRoutes: PageRoute[] = [{ path: '/billing', component: BillingPage }];
