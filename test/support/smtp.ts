import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw RFC 5322 message (headers + body). */
  raw: string;
  subject: string;
  /** The session was encrypted (STARTTLS or implicit TLS) when the message was sent. */
  secure: boolean;
  /** The authenticated user, when the session used AUTH. */
  user: string | undefined;
}

export interface TestSmtpServer {
  port: number;
  messages: ReceivedMail[];
  /** Resolves with the first message matching `pred`, waiting up to `timeoutMs`. */
  waitFor(pred: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Offer STARTTLS with this key and certificate (PEM); AUTH is then accepted only after the upgrade. */
  tls?: {
    key: string;
    cert: string /** TLS from the first byte (port-465 style) instead of STARTTLS. */;
    implicit?: boolean;
  };
  /** Require AUTH with these credentials before MAIL FROM. */
  auth?: { user: string; password: string };
}

/**
 * A real SMTP server on loopback that keeps what it receives, for tests and the demo. Plain by default;
 * with `tls` and `auth` it behaves like a production relay: STARTTLS, then AUTH, then mail.
 */
export async function startTestSmtpServer(port = 0, opts: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters: { pred: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  const disabled = [...(opts.tls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])];
  const server = new SMTPServer({
    authOptional: !opts.auth,
    disabledCommands: disabled,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert, secure: Boolean(opts.tls.implicit) } : {}),
    ...(opts.auth
      ? {
          onAuth(auth, _session, callback) {
            const ok = auth.username === opts.auth?.user && auth.password === opts.auth?.password;
            callback(
              ok ? null : Object.assign(new Error('Invalid credentials'), { responseCode: 535 }),
              ok ? { user: auth.username } : undefined,
            );
          },
        }
      : {}),
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const subject = /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject,
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        };
        messages.push(mail);
        for (const w of [...waiters]) {
          if (w.pred(mail)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as AddressInfo;
  return {
    port: address.port,
    messages,
    waitFor(pred, timeoutMs = 15_000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching email within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Decodes a quoted-printable body well enough to search it (soft line breaks and =XX escapes). */
export function decodeQuotedPrintable(raw: string): string {
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
