import { Client, Connection } from '@temporalio/client';

/** A Temporal client for the router, the workflow service and the CLI. Close `client.connection` when done. */
export async function createTemporalClient(
  address: string,
  namespace = 'default',
  connectTimeout = '5s',
): Promise<Client> {
  // A bounded connect: an unreachable server fails boot within seconds with its address, not a hang.
  const connection = await Connection.connect({ address, connectTimeout });
  return new Client({ connection, namespace });
}
