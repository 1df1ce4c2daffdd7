// Secrets in addresses never reach a message: userinfo (user:password@) and query
// strings (api_key=...) of anything URL-shaped are hidden before it is shown.
// Imports nothing, so every layer can use it.

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i;

/** An address as it may be shown: `scheme://<redacted>@host/path?<redacted>`. */
export function redactAddress(address: string): string {
  let s = address.replace(USERINFO, '$1<redacted>@');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = s.replace(/\?[^#\s]*/, '?<redacted>').replace(/#.*$/, '');
  return s;
}
