/**
 * The origin of a TPP's redirect URI (TPP-Redirect-URI, TPP-Nok-Redirect-URI), when the bank can send a PSU
 * there: an absolute http(s) URI whose host is a plain host name or IPv4 address (letters, digits, hyphens,
 * dots), with an optional port. Anything else gives undefined.
 *
 * The origin goes into the SCA pages' Content-Security-Policy (form-action), so it must be CSP syntax-safe:
 * WHATWG URL keeps `,` `;` `'` `*` in a host (`new URL("https://a,b;x").origin === "https://a,b;x"`), which
 * would add sources or whole directives to the policy. CSP host sources know no IPv6 literals either, so
 * such a URI could not be allowed as a redirect target after a form post anyway.
 */
export function tppRedirectOrigin(uri: string): string | undefined {
  // Special schemes parse leniently ("https:x.test" is https://x.test/); the text itself must be absolute.
  if (!/^https?:\/\//i.test(uri) || !URL.canParse(uri)) return undefined;
  const { origin } = new URL(uri);
  return PLAIN_ORIGIN.test(origin) ? origin : undefined;
}

/** URL lower-cases the host, turns IDNs into punycode and drops a default port, so this sees the canonical form. */
const PLAIN_ORIGIN = /^https?:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/;
