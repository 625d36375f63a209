import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../api/client';
import { ProblemMessage } from './problem';

export const CONSENTS_QUERY = ['consents'] as const;

export function useConsents() {
  return useQuery({ queryKey: CONSENTS_QUERY, queryFn: () => must(api.GET('/v1/account/consents')) });
}

export function useConsentChoice() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { product_analytics?: boolean; marketing_email?: boolean }) => must(api.PUT('/v1/account/consents', { body })),
    onSuccess: (data) => client.setQueryData(CONSENTS_QUERY, data),
  });
}

/**
 * Where analytics need opt-in (the EU, the UK, or an unknown country) and the holder has not chosen:
 * accepting and rejecting are the same size, one click each; nothing is collected until a choice.
 */
export function ConsentBanner() {
  const consents = useConsents();
  const choose = useConsentChoice();
  const analytics = consents.data?.data.find((c) => c.purpose === 'product_analytics');
  if (!analytics || analytics.source !== 'default' || analytics.how !== 'opt_in_required') return null;
  return (
    <section aria-labelledby="consent-title" className="banner consent">
      <div>
        <p id="consent-title">
          <strong>Product analytics</strong>
        </p>
        <p>
          May we collect pseudonymous usage analytics (PostHog) to improve the console? Nothing is collected unless you accept. You can
          change this any time in Settings.
        </p>
        <ProblemMessage error={choose.error} />
      </div>
      <div className="banner-actions">
        <button type="button" disabled={choose.isPending} onClick={() => choose.mutate({ product_analytics: false })}>
          Reject
        </button>
        <button type="button" disabled={choose.isPending} onClick={() => choose.mutate({ product_analytics: true })}>
          Accept
        </button>
      </div>
    </section>
  );
}
