import { logger } from '../services/platform/log.ts';
import { startLocalPlatform } from './journey/local-platform.ts';
import { runSignupReferralJourney } from './journey/signup-referral.ts';
import { stackUp } from './stack.ts';

/**
 * `npm run demo`: brings the local stack up, starts the platform in this process and runs a real
 * referral journey end to end, printing each step.
 */
// The demo narrates each step itself; the platform's JSON log lines would bury that narrative
// (PULSE_LOG_LEVEL=info shows them alongside).
if (!process.env.PULSE_LOG_LEVEL) logger.level = 'warn';
const started = Date.now();
const stack = await stackUp();
const platform = await startLocalPlatform({
  ...process.env,
  TEMPORAL_ADDRESS: stack.temporalAddress,
  CLICKHOUSE_URL: stack.clickhouseUrl,
  DATABASE_URL: stack.databaseUrl,
});
console.log(
  `\npulse demo: services on ${platform.runtime.url}, Temporal UI ${stack.temporalUi}, mailbox on 127.0.0.1:${platform.smtp.port}\n`,
);
let exitCode = 0;
try {
  const report = await runSignupReferralJourney({
    baseUrl: platform.runtime.url,
    adminKey: platform.adminKey,
    smtp: platform.smtp,
    log: (line) => console.log(`  ${line}`),
  });
  console.log('\nwelcome email received by user A:\n');
  console.log(
    report.userA.email.body
      .split(/\r?\n\r?\n/)
      .slice(1)
      .join('\n\n')
      .split('\n')
      .filter((l) => !/^(--|Content-|MIME)/.test(l))
      .slice(0, 14)
      .map((l) => `    ${l}`)
      .join('\n'),
  );
  console.log(`\npulse demo: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`\npulse demo failed: ${(err as Error).stack ?? String(err)}`);
  exitCode = 1;
} finally {
  await platform.stop();
}
process.exit(exitCode);
