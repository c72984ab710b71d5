import nodemailer from 'nodemailer';
import { logger } from '../platform/log.ts';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Lets receivers and our tests correlate a message with its notification row. */
  notificationId: string;
  /** RFC 5322 Message-ID (`<id@domain>`); the same on every resend of one notification. */
  messageId?: string;
}

export interface Mailer {
  send(mail: OutgoingEmail): Promise<{ messageId: string }>;
  close(): void;
}

/** SMTP delivery (a local server in development and tests; SES/SMTP relay in production). */
export function createSmtpMailer(opts: {
  host: string;
  port: number;
  from: string;
  secure?: boolean;
  /** Connect, greeting and idle-socket limits (ms). Defaults 5 s, 5 s, 30 s. */
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
  log?: (message: string) => void;
}): Mailer {
  const log = opts.log ?? ((m: string) => logger.warn({ component: 'mailer' }, m));
  const transport = nodemailer.createTransport({
    host: opts.host,
    port: opts.port,
    secure: opts.secure ?? false,
    // Local servers do not offer TLS; production relays are configured with secure: true.
    ignoreTLS: !opts.secure,
    pool: true,
    maxConnections: 4,
    // nodemailer waits 2 min for a connection and 10 min on a silent socket by default: a journey's
    // email step would hang that long on a dead relay instead of failing and retrying.
    connectionTimeout: opts.timeouts?.connectionMs ?? 5_000,
    greetingTimeout: opts.timeouts?.greetingMs ?? 5_000,
    socketTimeout: opts.timeouts?.socketMs ?? 30_000,
  });
  // Pooled connections that fail while idle are reported here rather than as unhandled error events.
  transport.on('error', (err: Error & { code?: string }) => {
    log(`smtp ${opts.host}:${opts.port}: ${err.code ?? err.name}`);
  });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: opts.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
        headers: { 'X-Pulse-Notification-Id': mail.notificationId },
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
      });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
