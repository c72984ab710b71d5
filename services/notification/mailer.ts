import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Lets receivers and our tests correlate a message with its notification row. */
  notificationId: string;
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
}): Mailer {
  const transport = nodemailer.createTransport({
    host: opts.host,
    port: opts.port,
    secure: opts.secure ?? false,
    // Local servers do not offer TLS; production relays are configured with secure: true.
    ignoreTLS: !opts.secure,
    pool: true,
    maxConnections: 4,
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
      });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
