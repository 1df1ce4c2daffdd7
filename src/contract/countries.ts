// The 249 officially assigned ISO 3166-1 alpha-2 codes (ISO 3166 Maintenance Agency list,
// as shipped by Debian iso-codes and the IANA tz iso3166.tab; both agree).
// Not included, on purpose: user-assigned or reserved codes such as XK (Kosovo), UK, EU,
// EZ, UN, AN, YU, CS, ZZ. The list is checked by a test (size 249, sorted, unique).

const LIST =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE ' +
  'BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD ' +
  'CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM ' +
  'DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF ' +
  'GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ' +
  'ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN ' +
  'KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME ' +
  'MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA ' +
  'NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ' +
  'PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI ' +
  'SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK ' +
  'TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI ' +
  'VN VU WF WS YE YT ZA ZM ZW';

/** The officially assigned ISO 3166-1 alpha-2 codes, uppercase, sorted. */
export const COUNTRY_CODES: readonly string[] = Object.freeze(LIST.split(' '));

const COUNTRY_SET: ReadonlySet<string> = new Set(COUNTRY_CODES);

/**
 * The uppercase code when `s` (already trimmed) is an officially assigned
 * alpha-2 code in any case, else null. Only ASCII letters count: no Unicode
 * case-mapping tricks (e.g. dotless `ı` uppercasing to `I`).
 */
export function countryCode(s: string): string | null {
  if (s.length !== 2) return null;
  let a = s.charCodeAt(0);
  let b = s.charCodeAt(1);
  if (a >= 97 && a <= 122) a -= 32;
  if (b >= 97 && b <= 122) b -= 32;
  if (a < 65 || a > 90 || b < 65 || b > 90) return null;
  const up = a === s.charCodeAt(0) && b === s.charCodeAt(1) ? s : String.fromCharCode(a, b);
  return COUNTRY_SET.has(up) ? up : null;
}
