/** Hides the password or token in a URL's userinfo (`https://user:token@host`) before it is shown or logged. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+)(:[^/@\s]*)?@/gi, (_m, scheme: string, user: string, secret?: string) =>
    secret ? `${scheme}${user}:***@` : `${scheme}***@`,
  );
}
