// Accept-Encoding negotiation for the two codings the server produces. Equal q-values prefer
// brotli, which is smaller at the same speed for the text types served here.

/** A content coding the server can send. */
export type ContentCoding = 'br' | 'gzip';

/** File name suffix of a precompressed sibling, per coding. */
export const SIBLING_SUFFIX: Record<ContentCoding, string> = { br: '.br', gzip: '.gz' };

/** The codings `header` accepts, most preferred first; empty when it accepts none (or is absent). */
export function acceptedCodings(header: string | undefined): ContentCoding[] {
  if (!header) return [];
  const quality: Partial<Record<ContentCoding | '*', number>> = {};
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.split(';');
    const name = token.trim().toLowerCase();
    const key = name === 'x-gzip' ? 'gzip' : name;
    if (key !== 'br' && key !== 'gzip' && key !== '*') continue;
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
      if (match) q = Number(match[1]);
    }
    if (Number.isFinite(q)) quality[key] = q;
  }
  const codings: ContentCoding[] = ['br', 'gzip'];
  return codings
    .map((coding) => ({ coding, q: quality[coding] ?? quality['*'] ?? 0 }))
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((entry) => entry.coding);
}
