import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
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

/**
 * Transport security to the relay: `none` never encrypts (a local mailbox), `opportunistic` upgrades with
 * STARTTLS when the relay offers it, `starttls` refuses to send unless the upgrade succeeds, `tls` speaks
 * TLS from the first byte (port 465).
 */
export type SmtpSecurity = 'none' | 'opportunistic' | 'starttls' | 'tls';

export interface SmtpOptions {
  host: string;
  port: number;
  from: string;
  security?: SmtpSecurity;
  /** SMTP AUTH (PLAIN/LOGIN, as the relay offers); both or neither. */
  auth?: { user: string; password: string };
  /** Verify the relay's certificate (default true); false only for development relays. */
  tlsRejectUnauthorized?: boolean;
  /** Connect, greeting and idle-socket limits (ms). Defaults 5 s, 5 s, 30 s. */
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
  log?: (message: string) => void;
}

/**
 * Why a delivery failed, in words safe to store and show to the client: built from nodemailer's error
 * code and the relay's reply code only, never from the error message (which may quote the relay, the
 * AUTH exchange or the message).
 */
export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
  readonly code = 'SMTP_DELIVERY_FAILED';
  constructor(
    readonly reason: string,
    /** A retry cannot help (the relay refused the recipient or the message outright). */
    readonly permanent: boolean,
  ) {
    super(reason);
  }
}

type SmtpError = Error & { code?: string; originalCode?: string; responseCode?: number; command?: string };

/** Node's TLS error codes for a certificate the relay presented and we do not trust. */
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME/;

/** Maps a nodemailer error to a DeliveryFailure with a safe reason. */
export function deliveryFailureOf(err: unknown, relay: string): DeliveryFailure {
  const e = (err ?? {}) as SmtpError;
  const reply = typeof e.responseCode === 'number' ? ` (reply ${e.responseCode})` : '';
  const permanent5xx = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
  // nodemailer reports a TLS handshake failure as a socket error and keeps Node's code beside it.
  const tlsCode = [e.originalCode, e.code].find((c) => c && CERT_CODES.test(c));
  if (tlsCode)
    return new DeliveryFailure(
      `TLS with SMTP relay ${relay} failed: certificate not trusted (${tlsCode})`,
      false,
    );
  switch (e.code) {
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EDNS':
      return new DeliveryFailure(`SMTP relay ${relay} unreachable${reply}`, false);
    case 'ETIMEDOUT':
      return new DeliveryFailure(`SMTP relay ${relay} timed out`, false);
    case 'EAUTH':
      return new DeliveryFailure(`SMTP relay ${relay} refused the credentials${reply}`, false);
    case 'ENOAUTH':
      return new DeliveryFailure(`SMTP relay ${relay} requires AUTH but no credentials are set`, false);
    case 'ETLS':
      return new DeliveryFailure(
        `TLS with SMTP relay ${relay} failed (STARTTLS not offered or certificate not trusted)`,
        false,
      );
    case 'EENVELOPE':
      return new DeliveryFailure(`SMTP relay ${relay} refused the sender or recipient${reply}`, permanent5xx);
    case 'EMESSAGE':
      return new DeliveryFailure(`SMTP relay ${relay} refused the message${reply}`, permanent5xx);
    case 'EPROTOCOL':
      return new DeliveryFailure(`SMTP relay ${relay} answered outside the protocol${reply}`, false);
    default:
      return new DeliveryFailure(
        `SMTP delivery via ${relay} failed (${e.code ?? e.name ?? 'unknown error'})${reply}`,
        false,
      );
  }
}

/** SMTP delivery: the local mailbox in development, a relay with AUTH and STARTTLS/TLS in production. */
export function createSmtpMailer(opts: SmtpOptions): Mailer {
  const log = opts.log ?? ((m: string) => logger.warn({ component: 'mailer' }, m));
  const security = opts.security ?? 'none';
  const relay = `${opts.host}:${opts.port}`;
  const transportOptions: SMTPTransport.Options & { pool: true; maxConnections: number } = {
    host: opts.host,
    port: opts.port,
    secure: security === 'tls',
    // `none` never tries STARTTLS (a local mailbox offers none); `starttls` fails rather than send in clear.
    ignoreTLS: security === 'none',
    requireTLS: security === 'starttls',
    ...(opts.auth ? { auth: { user: opts.auth.user, pass: opts.auth.password } } : {}),
    tls: { rejectUnauthorized: opts.tlsRejectUnauthorized ?? true, servername: opts.host },
    pool: true,
    maxConnections: 4,
    // nodemailer waits 2 min for a connection and 10 min on a silent socket by default: a journey's
    // email step would hang that long on a dead relay instead of failing and retrying.
    connectionTimeout: opts.timeouts?.connectionMs ?? 5_000,
    greetingTimeout: opts.timeouts?.greetingMs ?? 5_000,
    socketTimeout: opts.timeouts?.socketMs ?? 30_000,
  };
  const transport = nodemailer.createTransport(transportOptions);
  // Pooled connections that fail while idle are reported here rather than as unhandled error events.
  transport.on('error', (err: SmtpError) => {
    log(`smtp ${relay}: ${err.code ?? err.name}`);
  });
  return {
    async send(mail) {
      try {
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
      } catch (err) {
        throw deliveryFailureOf(err, relay);
      }
    },
    close: () => transport.close(),
  };
}
