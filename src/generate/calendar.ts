// Precomputed date and number strings, so the hot loop only picks and concatenates.

/** '00' … '99'. */
export const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/** '000' … '999'. */
export const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Every calendar day from Jan 1 of `fromYear` to Dec 31 of `toYear`, as `YYYY-MM-DD`. */
export function days(fromYear: number, toYear: number): readonly string[] {
  const out: string[] = [];
  const end = Date.UTC(toYear, 11, 31);
  for (let t = Date.UTC(fromYear, 0, 1); t <= end; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Cents as a decimal string with two places: 123456 → '1234.56'. */
export function money(cents: number): string {
  return Math.floor(cents / 100) + '.' + PAD2[cents % 100];
}

/** The id `prefix` + index padded to `width` digits (wider when the index needs it). */
export function paddedId(prefix: string, n: number, width: number): string {
  return prefix + String(n).padStart(width, '0');
}
