/**
 * State rules for marketing text messages that are stricter than the federal default (TCPA,
 * 47 CFR §64.1200(c)(1): 08:00–21:00 at the called party's location), by the recipient's state.
 * Every rule names its statute and where its text was read; `verified` is false where only a
 * secondary summary was seen (the window is applied anyway: a narrower window only delays).
 *
 * Times are the recipient's local time. `sunday: null` means no marketing messages on Sundays.
 * `cap` is the most marketing messages one recipient may get in any trailing `hours`, counted over
 * the account's campaigns (statutes say "on the same subject matter"; every campaign counts).
 * Not modelled: state legal holidays (AL, LA, MS, RI, UT) and emergency declarations (LA).
 * This is engineering data, not legal advice: compliance counsel should review it.
 */
export interface StateRule {
  region: string;
  window: { start: string; end: string };
  /** Sunday's window when it differs; null when Sunday is closed. */
  sunday?: { start: string; end: string } | null;
  cap?: { messages: number; hours: number };
  statute: string;
  source: string;
  verified: boolean;
  note?: string;
}

export const STATE_RULES: StateRule[] = [
  {
    region: 'FL',
    window: { start: '08:00', end: '20:00' },
    cap: { messages: 3, hours: 24 },
    statute: 'Fla. Stat. §501.059(8)(a) (hours), §501.059(8)(b) (3 per 24 h on the same subject)',
    source: 'Florida Statutes 501.059 (leg.state.fl.us; myfloridahouse.com statute text); amended by SB 1120 (2021), HB 761 (2023)',
    verified: true,
    note: 'Calls to a Florida area code are presumed to reach a Florida resident (§501.059(1)).',
  },
  {
    region: 'OK',
    window: { start: '08:00', end: '20:00' },
    cap: { messages: 3, hours: 24 },
    statute: 'Okla. Stat. tit. 15 §775C.4 (Oklahoma Telephone Solicitation Act of 2022)',
    source: 'dnc.com "Compliance refresher: calling Florida and Oklahoma"; ClickPoint state calling rules (July 2025)',
    verified: true,
  },
  {
    region: 'MD',
    window: { start: '08:00', end: '20:00' },
    cap: { messages: 3, hours: 24 },
    statute: 'Md. Code, Com. Law §14-4503 (Stop the Spam Calls Act of 2023, in force 2024-01-01)',
    source: 'Maryland Code, Commercial Law title 14 subtitle 45; Drop Cowboy state compliance chart (2025-11-01)',
    verified: true,
  },
  {
    region: 'CT',
    window: { start: '09:00', end: '20:00' },
    statute: 'Conn. Gen. Stat. §42-288a (as amended in 2023 to cover text messages)',
    source: 'Connecticut General Statutes 42-288a; Drop Cowboy state compliance chart (2025-11-01)',
    verified: true,
  },
  {
    region: 'WA',
    window: { start: '08:00', end: '20:00' },
    statute: 'RCW 80.36.390(2) (telephone solicitation); RCW 19.158.110 (commercial telephone solicitation)',
    source: 'Revised Code of Washington 80.36.390, 19.158.110',
    verified: true,
  },
  {
    region: 'MS',
    window: { start: '08:00', end: '20:00' },
    sunday: null,
    statute: 'Miss. Code Ann. §77-3-723 (8 a.m.–8 p.m. "Central Standard Time"; no solicitation on Sunday)',
    source: 'Mississippi Code 77-3-723 text (getpocketlaw.com mirror)',
    verified: true,
    note: 'Mississippi is wholly on Central time; local time is used.',
  },
  {
    region: 'TX',
    window: { start: '09:00', end: '21:00' },
    sunday: { start: '12:00', end: '21:00' },
    statute: 'Tex. Bus. & Com. Code §301.051 (9 a.m.–9 p.m. weekdays and Saturday; noon–9 p.m. Sunday)',
    source: 'Texas Business and Commerce Code ch. 301 (statutes.capitol.texas.gov); section text not re-read here',
    verified: false,
    note: 'Whether ch. 301 reaches text messages is unsettled; applied conservatively.',
  },
  {
    region: 'AL',
    window: { start: '08:00', end: '20:00' },
    sunday: null,
    statute: 'Ala. Code §8-19A-4 / Ala. Admin. Code r. 770-X-5 (Alabama PSC telephone rules) — section uncertain',
    source: 'Drop Cowboy state compliance chart (2025-11-01); ClickPoint state calling rules (July 2025)',
    verified: false,
  },
  {
    region: 'LA',
    window: { start: '08:00', end: '20:00' },
    sunday: null,
    statute: 'La. R.S. 45:844.15 / Louisiana PSC Do-Not-Call rules — section uncertain',
    source: 'Drop Cowboy state compliance chart (2025-11-01)',
    verified: false,
  },
  {
    region: 'KY',
    window: { start: '10:00', end: '21:00' },
    statute: 'KRS 367.46955 — section uncertain',
    source: 'Drop Cowboy state compliance chart (2025-11-01)',
    verified: false,
  },
  {
    region: 'MA',
    window: { start: '08:00', end: '20:00' },
    statute: 'M.G.L. c. 159C §5A / 201 CMR 12.00 — section uncertain',
    source: 'Drop Cowboy state compliance chart (2025-11-01)',
    verified: false,
  },
  {
    region: 'MI',
    window: { start: '09:00', end: '21:00' },
    statute: 'MCL 445.111b — section uncertain',
    source: 'Drop Cowboy state compliance chart (2025-11-01)',
    verified: false,
  },
  {
    region: 'MN',
    window: { start: '09:00', end: '21:00' },
    statute: 'Minn. Stat. §325E.27 — section uncertain (its text concerns prerecorded calls)',
    source: 'Drop Cowboy state compliance chart (2025-11-01)',
    verified: false,
  },
  {
    region: 'NV',
    window: { start: '09:00', end: '20:00' },
    statute: 'NRS 228.590 — section uncertain',
    source: 'Drop Cowboy state compliance chart (2025-11-01)',
    verified: false,
  },
  {
    region: 'NM',
    window: { start: '09:00', end: '21:00' },
    statute: 'NMSA 1978 §57-12-22 — section uncertain',
    source: 'Drop Cowboy state compliance chart (2025-11-01)',
    verified: false,
  },
];
