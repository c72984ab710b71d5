import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config.ts';
import type { Db } from '../db.ts';
import type { InspectableBus } from './inspect.ts';
import { createPostgresBus } from './postgres-bus.ts';
import { createSnsBus } from './sns-bus.ts';

/** The bus the configuration asks for: the Postgres queue locally (`PULSE_BUS=postgres`), SNS+SQS in production. */
export function createBusFromConfig(config: Readonly<Config>, db: Db): InspectableBus {
  if (config.busAdapter === 'sns') {
    const aws = {
      region: config.awsRegion,
      ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
      // The SDK's defaults never time out a socket; the request limit stays above the 10 s long poll.
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
    };
    return createSnsBus({ sns: new SNSClient(aws), sqs: new SQSClient(aws) });
  }
  return createPostgresBus({ db, listenUrl: config.databaseUrl, pollMs: 500, retryBaseMs: 250 });
}
