/**
 * A minimal browser over fetch: follows nothing by itself, keeps cookies per host (name=value, enough
 * for loopback servers), so a test can walk a sign-in's redirects hop by hop.
 */
export function createBrowser() {
  const jar = new Map<string, Map<string, string>>();
  const cookieHeader = (url: URL) =>
    [...(jar.get(url.host) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  const remember = (url: URL, res: Response) => {
    const host = jar.get(url.host) ?? new Map<string, string>();
    jar.set(url.host, host);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) host.delete(name);
      else host.set(name, value);
    }
  };
  return {
    cookies: (host: string) => jar.get(host) ?? new Map<string, string>(),
    async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
      const u = new URL(url);
      const headers = new Headers(init.headers);
      const cookie = cookieHeader(u);
      if (cookie) headers.set('cookie', cookie);
      const res = await fetch(u, { ...init, headers, redirect: 'manual' });
      remember(u, res);
      return res;
    },
    /** Follows redirects from `url` until an answer that is not a redirect (at most 10 hops). */
    async follow(
      url: string | URL,
      init: RequestInit = {},
    ): Promise<{ res: Response; url: URL; hops: URL[] }> {
      let at = new URL(url);
      const hops: URL[] = [at];
      let res = await this.request(at, init);
      for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
        at = new URL(res.headers.get('location') ?? '', at);
        hops.push(at);
        await res.arrayBuffer();
        res = await this.request(at);
      }
      return { res, url: at, hops };
    },
  };
}
export type Browser = ReturnType<typeof createBrowser>;
