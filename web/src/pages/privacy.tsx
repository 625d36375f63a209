import { useMutation, useQuery } from '@tanstack/react-query';
import { api, must } from '../api/client';
import { ProblemMessage } from '../components/problem';
import type { PageRoute } from '../routes';
import { useAccount } from '../session';
import { DataSubjectRequests, downloadJson } from './privacy-dsr';
import { Subprocessors } from './privacy-subprocessors';
import { Termination } from './privacy-termination';
import './privacy.css';

function Policies() {
  const policies = useQuery({ queryKey: ['policies'], queryFn: () => must(api.GET('/v1/policies')) });
  const names = { privacy: 'Privacy Policy', dpa: 'Data Processing Agreement' } as const;
  return (
    <section aria-labelledby="policies-title">
      <h2 id="policies-title">Policies</h2>
      <ProblemMessage error={policies.error} />
      <ul>
        {(policies.data?.data ?? []).map((p) => (
          <li key={p.kind}>
            {names[p.kind]}: {p.inForce ? `version ${p.inForce.version} in force` : 'none published'}
            {p.upcoming ? `; version ${p.upcoming.version} takes effect ${new Date(p.upcoming.effectiveAt).toLocaleDateString()}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

function PersonalData() {
  const download = useMutation({ mutationFn: () => downloadJson('/v1/account/personal-data', 'massivesms-personal-data.json') });
  return (
    <section aria-labelledby="personal-data-title">
      <h2 id="personal-data-title">Your personal data</h2>
      <p>
        Everything we hold about you as the account holder (profile, accounts, sessions, consents, sign-ins, billing), as JSON. The
        account’s own data (contacts, lists, opt-outs, messages) is exported when the account is terminated, below.
      </p>
      <ProblemMessage error={download.error} />
      <button type="button" className="secondary" onClick={() => download.mutate()} disabled={download.isPending}>
        {download.isPending ? 'Preparing…' : 'Download my personal data'}
      </button>
      {download.isSuccess ? <span role="status"> Downloaded.</span> : null}
    </section>
  );
}

function PrivacyPage() {
  const account = useAccount();
  return (
    <div className="privacy-page">
      <h1>Privacy</h1>
      <Policies />
      <Subprocessors />
      <DataSubjectRequests />
      <PersonalData />
      {account.data ? <Termination accountName={account.data.name} /> : null}
    </div>
  );
}

export const privacyRoutes: PageRoute[] = [{ path: '/privacy', component: PrivacyPage }];
