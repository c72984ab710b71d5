import { Client, Connection } from '@temporalio/client';

/** A Temporal client for the router, the workflow service and the CLI. Close `client.connection` when done. */
export async function createTemporalClient(address: string, namespace = 'default'): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}
