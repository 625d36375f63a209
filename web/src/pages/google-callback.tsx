import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { api, must } from '../api/client';
import { TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import { sessionChanged } from '../session';

/**
 * Google sends the browser here (GOOGLE_REDIRECT_URL): the page hands the code and state to the API,
 * which checks them against the flow cookie and sets the session cookie. An email that already has
 * a holder asks for that holder's password once to link.
 */
export function GoogleCallbackPage() {
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const [password, setPassword] = useState('');
  // The code is single-use: exchanged once by a mutation (a query would be fetched again on a reset).
  const callback = useMutation({
    mutationFn: () =>
      must(api.GET('/v1/auth/google/callback', { params: { query: Object.fromEntries(new URLSearchParams(window.location.search)) } })),
  });
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    callback.mutate();
  }, [callback]);
  const finish = useCallback(async () => {
    await sessionChanged(client);
    navigate('/', { replace: true });
  }, [client, navigate]);
  const link = useMutation({
    mutationFn: (linkToken: string) => must(api.POST('/v1/auth/google/link', { body: { linkToken, password } })),
    onSuccess: finish,
  });
  if (callback.isIdle || callback.isPending) return <p className="loading">Signing in with Google…</p>;
  if (callback.error) {
    return (
      <main id="main" className="sign-in">
        <h1>Google sign-in failed</h1>
        <ProblemMessage error={callback.error} />
        <Link href="/">Back to sign in</Link>
      </main>
    );
  }
  const result = callback.data;
  if (result && 'linkToken' in result) {
    const submit = (e: FormEvent) => {
      e.preventDefault();
      link.mutate(result.linkToken);
    };
    return (
      <main id="main" className="sign-in">
        <h1>Link Google to your sign-in</h1>
        <p>This email already has a MassiveSMS sign-in. Enter its password once to add Google sign-in to it.</p>
        <form onSubmit={submit} noValidate>
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={link.error}
          />
          <ProblemMessage error={link.error} />
          <button type="submit" disabled={link.isPending}>
            Link and sign in
          </button>
        </form>
      </main>
    );
  }
  return <SignedIn onSignedIn={finish} />;
}

/** Signed in (or signed up): on to the dashboard; the sign-up's first API key is not kept in the page. */
function SignedIn({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  useEffect(() => {
    void onSignedIn();
  }, [onSignedIn]);
  return <p className="loading">Signed in with Google…</p>;
}
