/**
 * A deliberately small user-agent parser: browser family + major version, OS + version, device type.
 * Enough for segmentation and fraud signals (IP + UA); not a device database. Order matters: several
 * browsers claim to be Chrome and Safari, so the more specific tokens are tested first.
 */
export interface ParsedUserAgent {
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  type: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown';
}

const BROWSERS: [name: string, re: RegExp][] = [
  ['Edge', /Edg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /(?:OPR|Opera)\/([\d.]+)/],
  ['Samsung Internet', /SamsungBrowser\/([\d.]+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome', /(?:HeadlessChrome|Chrome|CriOS)\/([\d.]+)/],
  ['Safari', /Version\/([\d.]+).*Safari\//],
  ['curl', /^curl\/([\d.]+)/],
  ['Node', /^node(?:-fetch)?\/?([\d.]*)/i],
];

const OSES: [name: string, re: RegExp][] = [
  ['iOS', /(?:iPhone|iPad|iPod).*? OS ([\d_]+)/],
  ['Android', /Android ([\d.]+)/],
  ['Windows', /Windows NT ([\d.]+)/],
  ['macOS', /Mac OS X ([\d_.]+)/],
  ['Chrome OS', /CrOS \S+ ([\d.]+)/],
  ['Linux', /Linux()/],
];

const BOT = /bot|crawler|spider|crawling|slurp|facebookexternalhit|headless/i;

export function parseUserAgent(ua: string | null | undefined): ParsedUserAgent {
  const out: ParsedUserAgent = { browser: '', browser_version: '', os: '', os_version: '', type: 'unknown' };
  if (!ua) return out;
  for (const [name, re] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      out.browser = name;
      out.browser_version = (m[1] ?? '').split('.')[0] ?? '';
      break;
    }
  }
  for (const [name, re] of OSES) {
    const m = re.exec(ua);
    if (m) {
      out.os = name;
      out.os_version = (m[1] ?? '').replaceAll('_', '.');
      break;
    }
  }
  if (BOT.test(ua)) out.type = 'bot';
  else if (/iPad|Tablet/.test(ua) || (/Android/.test(ua) && !/Mobile/.test(ua))) out.type = 'tablet';
  else if (/Mobi|iPhone|iPod/.test(ua)) out.type = 'mobile';
  else if (out.os) out.type = 'desktop';
  return out;
}
