/**
 * Time-zone names as people know them. The runtime's Intl (ICU, in workerd as in Node)
 * lists and resolves zones under CLDR's frozen spellings, some of them renamed long ago
 * (Asia/Calcutta for Asia/Kolkata, Europe/Kiev for Europe/Kyiv), so the select showed
 * names a person does not look for and a sign-up from Kolkata was stored as Calcutta.
 * This table maps each such spelling Intl lists to today's IANA name; the runtime accepts
 * both as the same zone, so a name stored under either keeps working.
 */
import { isValidTimeZone } from '../lib/time';

/** CLDR's spelling → IANA's current name (both valid zones, the same rules). */
const RENAMED: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/**
 * A valid zone under its current name: the runtime's canonical spelling ("utc" → "UTC",
 * "US/Eastern" → "America/New_York"), renamed where IANA renamed it. Unchanged when the
 * zone is not valid, so a caller shows what was given.
 */
export function currentZoneName(zone: string): string {
  if (!isValidTimeZone(zone)) return zone;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  return RENAMED[resolved] ?? resolved;
}

/** The older spellings of a current name, which a browser may still report. */
export function olderZoneNames(zone: string): string[] {
  return Object.keys(RENAMED).filter((old) => RENAMED[old] === zone);
}

/** Every zone the runtime knows, each once under its current name, UTC first (the no-JS default). */
export function timeZoneChoices(): string[] {
  let zones: string[];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
  const current = new Set(zones.map((zone) => RENAMED[zone] ?? zone));
  current.delete('UTC');
  return ['UTC', ...[...current].sort()];
}
