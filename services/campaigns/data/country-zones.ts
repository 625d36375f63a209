/**
 * Countries (by E.164 calling code) that keep one time zone everywhere, so a number alone places
 * its recipient's clock. Countries spanning zones (Russia, Brazil, Mexico, Australia, Indonesia,
 * Spain with the Canaries, Portugal with the Azores, …) are left out: their recipients need a
 * `timezone` attribute and are otherwise skipped with `timezone_unknown`.
 *
 * Source: the IANA time zone database (zone1970.tab: one zone row per listed country) and the ITU
 * E.164 list of assigned country codes. Calling codes are prefix-free, so at most one matches.
 */
export const SINGLE_ZONE_COUNTRIES: Record<string, { country: string; zone: string }> = {
  '20': { country: 'EG', zone: 'Africa/Cairo' },
  '27': { country: 'ZA', zone: 'Africa/Johannesburg' },
  '30': { country: 'GR', zone: 'Europe/Athens' },
  '31': { country: 'NL', zone: 'Europe/Amsterdam' },
  '32': { country: 'BE', zone: 'Europe/Brussels' },
  '33': { country: 'FR', zone: 'Europe/Paris' },
  '36': { country: 'HU', zone: 'Europe/Budapest' },
  '39': { country: 'IT', zone: 'Europe/Rome' },
  '40': { country: 'RO', zone: 'Europe/Bucharest' },
  '41': { country: 'CH', zone: 'Europe/Zurich' },
  '43': { country: 'AT', zone: 'Europe/Vienna' },
  '44': { country: 'GB', zone: 'Europe/London' },
  '45': { country: 'DK', zone: 'Europe/Copenhagen' },
  '46': { country: 'SE', zone: 'Europe/Stockholm' },
  '47': { country: 'NO', zone: 'Europe/Oslo' },
  '48': { country: 'PL', zone: 'Europe/Warsaw' },
  '49': { country: 'DE', zone: 'Europe/Berlin' },
  '51': { country: 'PE', zone: 'America/Lima' },
  '54': { country: 'AR', zone: 'America/Argentina/Buenos_Aires' },
  '57': { country: 'CO', zone: 'America/Bogota' },
  '58': { country: 'VE', zone: 'America/Caracas' },
  '63': { country: 'PH', zone: 'Asia/Manila' },
  '65': { country: 'SG', zone: 'Asia/Singapore' },
  '66': { country: 'TH', zone: 'Asia/Bangkok' },
  '81': { country: 'JP', zone: 'Asia/Tokyo' },
  '82': { country: 'KR', zone: 'Asia/Seoul' },
  '84': { country: 'VN', zone: 'Asia/Ho_Chi_Minh' },
  '86': { country: 'CN', zone: 'Asia/Shanghai' },
  '90': { country: 'TR', zone: 'Europe/Istanbul' },
  '91': { country: 'IN', zone: 'Asia/Kolkata' },
  '92': { country: 'PK', zone: 'Asia/Karachi' },
  '234': { country: 'NG', zone: 'Africa/Lagos' },
  '254': { country: 'KE', zone: 'Africa/Nairobi' },
  '353': { country: 'IE', zone: 'Europe/Dublin' },
  '358': { country: 'FI', zone: 'Europe/Helsinki' },
  '420': { country: 'CZ', zone: 'Europe/Prague' },
  '852': { country: 'HK', zone: 'Asia/Hong_Kong' },
  '966': { country: 'SA', zone: 'Asia/Riyadh' },
  '971': { country: 'AE', zone: 'Asia/Dubai' },
  '972': { country: 'IL', zone: 'Asia/Jerusalem' },
};
