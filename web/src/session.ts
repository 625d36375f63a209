import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, ApiProblem, must } from './api/client';

export const ACCOUNT_QUERY = ['account'] as const;

/** The signed-in account (GET /v1/account with the session cookie); null when nobody is signed in. */
export function useAccount() {
  const client = useQueryClient();
  useEffect(() => {
    const signedOut = () => client.setQueryData(ACCOUNT_QUERY, null);
    window.addEventListener('massivesms:signed-out', signedOut);
    return () => window.removeEventListener('massivesms:signed-out', signedOut);
  }, [client]);
  return useQuery({
    queryKey: ACCOUNT_QUERY,
    queryFn: async () => {
      try {
        return await must(api.GET('/v1/account'));
      } catch (err) {
        if (err instanceof ApiProblem && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

/** After sign-in, sign-out or an account switch: every cached answer belonged to the previous session. */
export async function sessionChanged(client: ReturnType<typeof useQueryClient>): Promise<void> {
  await client.resetQueries();
}
