import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must } from '../api/client';
import { TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import { sessionChanged } from '../session';

export function SignInPage() {
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => must(api.POST('/v1/sessions', { body: { email, password } })),
    onSuccess: () => sessionChanged(client),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  return (
    <main id="main" className="sign-in">
      <h1>Sign in to MassiveSMS</h1>
      <form onSubmit={submit} noValidate>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={signIn.error}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={signIn.error}
        />
        <ProblemMessage error={signIn.error} />
        <button type="submit" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="or">or</p>
      <a className="button secondary" href={`/v1/auth/google/start${email ? `?loginHint=${encodeURIComponent(email)}` : ''}`}>
        Sign in with Google
      </a>
    </main>
  );
}
