import { after, before } from 'node:test';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { busContract } from '../../../test/support/bus-contract.ts';
import { type Moto, startMoto } from '../../../test/support/moto.ts';
import type { InspectableBus } from './inspect.ts';
import { createSnsBus } from './sns-bus.ts';

let moto: Moto;
let bus: InspectableBus;
let clients: { sns: SNSClient; sqs: SQSClient };

before(async () => {
  moto = await startMoto();
  const cfg = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  clients = { sns: new SNSClient(cfg), sqs: new SQSClient(cfg) };
  // Short long-polls and sub-second backoff (rounded to 0 s visibility) keep the suite quick.
  bus = createSnsBus({ ...clients, prefix: 'test', waitTimeSeconds: 1, retryBaseMs: 100, retryMaxMs: 400 });
});

after(async () => {
  await bus.close();
  clients.sns.destroy();
  clients.sqs.destroy();
  await moto.stop();
});

busContract('sns+sqs bus (moto)', () => bus, { quietMs: 1_500 });
