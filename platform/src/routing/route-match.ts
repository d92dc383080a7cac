/** Which service a request is for: `catalog.localhost` by host name, else `/catalog/...` by the first path segment (stripped). */
export function matchRoute(hostHeader: string | undefined, url: string, known: (name: string) => boolean): { route: string; path: string } | undefined {
  const hostname = (hostHeader ?? '').split(':')[0]!.toLowerCase();
  if (hostname.endsWith('.localhost')) {
    const route = hostname.slice(0, -'.localhost'.length);
    if (known(route)) return { route, path: url };
  }
  const match = /^\/([^/?#]+)(.*)$/.exec(url);
  if (!match || !known(match[1]!)) return undefined;
  const rest = match[2]!;
  return { route: match[1]!, path: rest.startsWith('/') ? rest : `/${rest}` };
}
