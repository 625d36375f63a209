import { Link, useLocation } from 'wouter';

const SECTIONS = [
  { path: '/contacts', label: 'Contacts' },
  { path: '/contacts/lists', label: 'Lists' },
  { path: '/contacts/opt-outs', label: 'Opt-outs' },
] as const;

/** The Contacts section's own pages (an import belongs to the contacts page). */
export function ContactsNav() {
  const [location] = useLocation();
  const current = (path: string) =>
    path === '/contacts' ? !SECTIONS.some((s) => s.path !== '/contacts' && location.startsWith(s.path)) : location.startsWith(path);
  return (
    <nav aria-label="Contacts sections" className="subnav">
      <ul>
        {SECTIONS.map((s) => (
          <li key={s.path}>
            <Link href={s.path} aria-current={current(s.path) ? 'page' : undefined}>
              {s.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
