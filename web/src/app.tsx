import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, Route, Switch, useLocation } from 'wouter';
import { api, must } from './api/client';
import { ConsentBanner } from './components/consent-banner';
import { NoticeBanners } from './components/notice-banner';
import { ProblemMessage } from './components/problem';
import { GoogleCallbackPage } from './pages/google-callback';
import { SignInPage } from './pages/sign-in';
import { NAV, ROUTES } from './routes';
import { sessionChanged, useAccount } from './session';

function SignOut() {
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const signOut = useMutation({
    mutationFn: () => must(api.POST('/v1/sessions/sign-out')),
    onSuccess: async () => {
      await sessionChanged(client);
      navigate('/');
    },
  });
  return (
    <button type="button" className="link-button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
      Sign out
    </button>
  );
}

function Shell({ accountName }: { accountName: string }) {
  const [location] = useLocation();
  const current = (path: string) => (path === '/' ? location === '/' : location === path || location.startsWith(`${path}/`));
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">MassiveSMS</span>
        <span className="account-name">{accountName}</span>
        <SignOut />
      </header>
      <nav aria-label="Console" className="nav">
        <ul>
          {NAV.map((item) => (
            <li key={item.path}>
              <Link href={item.path} aria-current={current(item.path) ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <NoticeBanners />
        <ConsentBanner />
        <Switch>
          {ROUTES.map(({ path, component }) => (
            <Route key={path} path={path} component={component} />
          ))}
          <Route>
            <h1>Page not found</h1>
            <Link href="/">Back to the dashboard</Link>
          </Route>
        </Switch>
      </main>
    </>
  );
}

export function App() {
  const account = useAccount();
  if (account.isPending) return <p className="loading">Loading…</p>;
  if (account.error) return <ProblemMessage error={account.error} />;
  return (
    <Switch>
      <Route path="/auth/google/callback" component={GoogleCallbackPage} />
      <Route>{account.data ? <Shell accountName={account.data.name} /> : <SignInPage />}</Route>
    </Switch>
  );
}
