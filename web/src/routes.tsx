import type { ComponentType } from 'react';
import { billingRoutes } from './pages/billing';
import { campaignRoutes } from './pages/campaigns';
import { contactRoutes } from './pages/contacts';
import { DashboardPage } from './pages/dashboard';
import { developerRoutes } from './pages/developers';
import { messageRoutes } from './pages/messages';
import { privacyRoutes } from './pages/privacy';
import { SettingsPage } from './pages/settings';

export interface PageRoute {
  path: string;
  component: ComponentType;
}

/** The console's sections, in the order the navigation shows them. */
export const NAV = [
  { path: '/', label: 'Dashboard' },
  { path: '/contacts', label: 'Contacts' },
  { path: '/campaigns', label: 'Campaigns' },
  { path: '/messages', label: 'Messages' },
  { path: '/developers', label: 'Developers' },
  { path: '/billing', label: 'Billing' },
  { path: '/privacy', label: 'Privacy' },
  { path: '/settings', label: 'Settings' },
] as const;

export const ROUTES: PageRoute[] = [
  { path: '/', component: DashboardPage },
  ...contactRoutes,
  ...campaignRoutes,
  ...messageRoutes,
  ...developerRoutes,
  ...billingRoutes,
  ...privacyRoutes,
  { path: '/settings', component: SettingsPage },
];
