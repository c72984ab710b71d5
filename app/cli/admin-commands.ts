import { type Command, Option } from 'commander';
import { migrateEverything } from '../migrate.ts';
import { adminInit, databaseConfig, redact } from './admin-init.ts';
import {
  type ApiTarget,
  type ConnectionFlags,
  createApi,
  isAdminKey,
  listAll,
  resolveTarget,
  send,
} from './api.ts';
import { withConnection, withDatabase } from './connection.ts';
import { CliError, type CliIo, emit, type OutputFormat, outputOption, table } from './io.ts';
import type { Client, IssuedKey, KeySummary, PermissionName, Role } from './paths.ts';

const ROLES: Role[] = ['owner', 'admin', 'manager', 'analyst', 'viewer', 'billing'];

/** `30d`, `12h`, `45m`, `90s` → seconds; null when it is not a duration. */
export function durationSeconds(raw: string): number | null {
  const m = /^(\d{1,6})([dhms])$/.exec(raw.trim());
  if (!m) return null;
  return Number(m[1]) * { d: 86_400, h: 3600, m: 60, s: 1 }[m[2] as 'd' | 'h' | 'm' | 's'];
}

/** `--expires`: a duration from now (`90d`) or a date-time (`2027-06-30T00:00:00Z`), as ISO. */
export function expiryOf(raw: string, now = Date.now()): string {
  const seconds = durationSeconds(raw);
  const at = seconds !== null ? new Date(now + seconds * 1000) : new Date(raw);
  if (Number.isNaN(at.getTime()) || (seconds === null && !/^\d{4}-\d{2}-\d{2}/.test(raw)))
    throw new CliError('USAGE', `--expires takes a duration (90d, 12h) or a date-time, got "${raw}"`);
  return at.toISOString();
}
const SHOWN_ONCE = 'store it now: it is shown this once and only its hash is kept';

function keyLines(k: IssuedKey): string[] {
  return [
    `${k.kind} key ${k.id}${k.role ? ` (role ${k.role})` : ''}${k.name ? ` "${k.name}"` : ''}`,
    `  key:            ${k.key}`,
    ...(k.signing_secret ? [`  signing secret: ${k.signing_secret}`] : []),
    ...(k.scopes ? [`  scopes:         ${k.scopes.join(', ')}`] : []),
    ...(k.expires_at ? [`  expires:        ${k.expires_at}`] : []),
  ];
}

/** `pulse admin init` and `pulse migrate`: the database directly, no server needed. */
export function addDatabaseCommands(program: Command, io: CliIo): void {
  const admin = program.command('admin').description('platform administration (database direct)');
  withDatabase(
    admin
      .command('init')
      .description('create the first platform-admin key in the database; prints its secret once')
      .option('--force-new', 'add another admin key even though one exists')
      .option('--name <label>', 'a label for the key', 'bootstrap')
      .addOption(outputOption()),
  ).action(async (opts: { databaseUrl?: string; forceNew?: boolean; name: string; output: OutputFormat }) => {
    const config = databaseConfig(opts.databaseUrl, io);
    const r = await adminInit(config, { force: Boolean(opts.forceNew), name: opts.name }, (l) => io.err(l));
    if (!r.key)
      throw new CliError(
        'REFUSED',
        `a platform admin already exists in ${redact(config.databaseUrl)} (${r.existing} live admin key(s)); ` +
          'its secret was shown when it was created and cannot be shown again. Use that key, or run ' +
          '`pulse admin init --force-new` to add another admin key.',
      );
    io.err(SHOWN_ONCE);
    const key = r.key;
    // The secret once: on the line to paste into a shell.
    emit(io, opts.output, { key, existing: r.existing }, () =>
      [
        `platform-admin key ${key.id}${key.name ? ` "${key.name}"` : ''}`,
        `export PULSE_API_KEY=${key.key}`,
      ].join('\n'),
    );
  });

  withDatabase(
    program
      .command('migrate')
      .description('apply pending Postgres and ClickHouse migrations and re-encrypt secrets at rest')
      .addOption(outputOption()),
  ).action(async (opts: { databaseUrl?: string; output: OutputFormat }) => {
    const config = databaseConfig(opts.databaseUrl, io);
    const r = await migrateEverything(config, (l) => io.err(l));
    emit(io, opts.output, r, () => 'migrations up to date');
  });
}

const CLIENT_COLUMNS = ['id', 'name', 'plan', 'status', 'created_at'];
const KEY_COLUMNS = [
  'id',
  'kind',
  'role',
  'name',
  'key_prefix',
  'revoked_at',
  'created_at',
  'expires_at',
  'last_used_at',
  'scopes',
];

function requireAdmin(target: ApiTarget, command: string): void {
  if (!isAdminKey(target))
    throw new CliError(
      'USAGE',
      `${command} needs a platform-admin key (ak_…, from \`pulse admin init\`) in --api-key or PULSE_API_KEY`,
    );
}

/** `pulse client create|list|suspend|resume` over the admin API. */
export function addClientCommands(program: Command, io: CliIo): void {
  const client = program.command('client').description('manage client companies (platform-admin key)');
  withConnection(
    client
      .command('create')
      .description('create a client with a publishable key and an owner secret key (shown once)')
      .argument('<name>', "the client's name")
      .option('--plan <plan>', 'commercial plan (default starter)')
      .addOption(outputOption()),
  ).action(async (name: string, opts: ConnectionFlags & { plan?: string; output: OutputFormat }) => {
    const target = resolveTarget(opts, io);
    requireAdmin(target, 'client create');
    const r = await send(
      target,
      'create client',
      createApi(target).POST('/v1/admin/clients', {
        body: { name, ...(opts.plan ? { plan: opts.plan } : {}) },
      }),
    );
    io.err(`keys: ${SHOWN_ONCE}`);
    emit(io, opts.output, r, () =>
      [
        `client ${r.client.id} "${r.client.name}" (plan ${r.client.plan}, ${r.client.status})`,
        ...keyLines(r.keys.publishable),
        ...keyLines(r.keys.secret),
      ].join('\n'),
    );
  });

  withConnection(client.command('list').description('list every client').addOption(outputOption())).action(
    async (opts: ConnectionFlags & { output: OutputFormat }) => {
      const target = resolveTarget(opts, io);
      requireAdmin(target, 'client list');
      const api = createApi(target);
      const clients = await listAll<Client>((cursor) =>
        send(
          target,
          'list clients',
          api.GET('/v1/admin/clients', { params: { query: cursor ? { starting_after: cursor } : {} } }),
        ),
      );
      emit(io, opts.output, { data: clients }, () => table(clients as never, CLIENT_COLUMNS));
    },
  );

  for (const [verb, status] of [
    ['suspend', 'suspended'],
    ['resume', 'active'],
  ] as const) {
    withConnection(
      client
        .command(verb)
        .description(
          verb === 'suspend' ? 'suspend a client: its keys stop working at once' : 'reactivate a client',
        )
        .argument('<id>', 'client id (cli_…)')
        .addOption(outputOption()),
    ).action(async (id: string, opts: ConnectionFlags & { output: OutputFormat }) => {
      const target = resolveTarget(opts, io);
      requireAdmin(target, `client ${verb}`);
      const r = await send(
        target,
        `${verb} client ${id}`,
        createApi(target).PATCH('/v1/admin/clients/{id}', { params: { path: { id } }, body: { status } }),
      );
      emit(io, opts.output, r, () => `client ${r.client.id} is now ${r.client.status}`);
    });
  }
}

/** A client key acts on its own client only: `--client` must name that one when given. */
async function ownClient(target: ApiTarget, wanted: string | undefined): Promise<string> {
  const own = await send(target, 'read own client', createApi(target).GET('/v1/client'));
  if (wanted && wanted !== own.client.id)
    throw new CliError(
      'USAGE',
      `this key belongs to client ${own.client.id}, not ${wanted}; use a platform-admin key for another client`,
    );
  return own.client.id;
}

/** `pulse key create|list|revoke`: with a platform-admin key for any client, or a client's own key. */
export function addKeyCommands(program: Command, io: CliIo): void {
  const key = program.command('key').description("manage a client's API keys");
  withConnection(
    key
      .command('create')
      .description('issue an API key (shown once)')
      .option('--client <id>', 'client id (required with a platform-admin key)')
      .addOption(
        new Option('--type <type>', 'publishable (websites) or secret (servers)')
          .choices(['publishable', 'secret'])
          .makeOptionMandatory(),
      )
      .addOption(new Option('--role <role>', 'role of a secret key').choices(ROLES))
      .option('--name <label>', 'a label for the key, shown in key lists')
      .option(
        '--scope <permission...>',
        'limit a secret key to these permissions (each held by its role and by you; see docs/permissions.md)',
      )
      .option('--expires <when>', 'when the key stops working: a duration (90d, 12h) or a date-time')
      .addOption(outputOption()),
  ).action(
    async (
      opts: ConnectionFlags & {
        client?: string;
        type: 'publishable' | 'secret';
        role?: Role;
        name?: string;
        scope?: string[];
        expires?: string;
        output: OutputFormat;
      },
    ) => {
      if (opts.type === 'secret' && !opts.role)
        throw new CliError('USAGE', `a secret key needs --role (${ROLES.join(', ')})`);
      if (opts.type === 'publishable' && opts.role)
        throw new CliError('USAGE', 'a publishable key has no role: leave out --role');
      const target = resolveTarget(opts, io);
      const body = {
        kind: opts.type,
        ...(opts.role ? { role: opts.role } : {}),
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.scope?.length ? { scopes: opts.scope as PermissionName[] } : {}),
        ...(opts.expires ? { expires_at: expiryOf(opts.expires) } : {}),
      };
      const api = createApi(target);
      let issued: { key: IssuedKey };
      if (isAdminKey(target)) {
        if (!opts.client) throw new CliError('USAGE', 'with a platform-admin key, --client <id> is required');
        issued = await send(
          target,
          'create key',
          api.POST('/v1/admin/clients/{id}/api-keys', { params: { path: { id: opts.client } }, body }),
        );
      } else {
        await ownClient(target, opts.client);
        issued = await send(target, 'create key', api.POST('/v1/api-keys', { body }));
      }
      io.err(SHOWN_ONCE);
      emit(io, opts.output, issued, () => keyLines(issued.key).join('\n'));
    },
  );

  withConnection(
    key
      .command('list')
      .description("list a client's keys (prefixes only; keys are stored hashed)")
      .option('--client <id>', 'client id (required with a platform-admin key)')
      .addOption(outputOption()),
  ).action(async (opts: ConnectionFlags & { client?: string; output: OutputFormat }) => {
    const target = resolveTarget(opts, io);
    const api = createApi(target);
    let keys: KeySummary[];
    if (isAdminKey(target)) {
      const id = opts.client;
      if (!id) throw new CliError('USAGE', 'with a platform-admin key, --client <id> is required');
      keys = await listAll<KeySummary>(() =>
        send(target, 'list keys', api.GET('/v1/admin/clients/{id}/api-keys', { params: { path: { id } } })),
      );
    } else {
      if (opts.client) await ownClient(target, opts.client);
      keys = await listAll<KeySummary>((cursor) =>
        send(
          target,
          'list keys',
          api.GET('/v1/api-keys', { params: { query: cursor ? { starting_after: cursor } : {} } }),
        ),
      );
    }
    emit(io, opts.output, { data: keys }, () => table(keys as never, KEY_COLUMNS));
  });

  withConnection(
    key
      .command('rotate')
      .description(
        'rotate a key of your client: a new secret (shown once); the old key keeps working for the overlap, then is refused',
      )
      .argument('<id>', 'key id (key_…)')
      .option('--overlap <duration>', 'how long the old key stays valid (e.g. 1d, 2h, 0s)', '1d')
      .addOption(outputOption()),
  ).action(async (id: string, opts: ConnectionFlags & { overlap: string; output: OutputFormat }) => {
    const overlap = durationSeconds(opts.overlap);
    if (overlap === null)
      throw new CliError('USAGE', `--overlap takes a duration (1d, 2h, 0s), got "${opts.overlap}"`);
    const target = resolveTarget(opts, io);
    if (isAdminKey(target))
      throw new CliError(
        'USAGE',
        "rotate with the client's own key (role admin or above), not a platform-admin key",
      );
    const api = createApi(target);
    const r = await send(
      target,
      `rotate key ${id}`,
      api.POST('/v1/api-keys/{id}/rotate', { params: { path: { id } }, body: { overlap_seconds: overlap } }),
    );
    io.err(SHOWN_ONCE);
    emit(io, opts.output, r, () =>
      [
        ...keyLines(r.key),
        `  replaces:       ${r.previous.id} (valid until ${r.previous.overlap_until})`,
      ].join('\n'),
    );
  });

  withConnection(
    key
      .command('revoke')
      .description(
        "revoke a client's key: with the client's own key (role admin or above), or a platform-admin key and --client",
      )
      .argument('<id>', 'key id (key_…)')
      .option('--client <id>', 'client id (required with a platform-admin key)')
      .addOption(outputOption()),
  ).action(async (id: string, opts: ConnectionFlags & { client?: string; output: OutputFormat }) => {
    const target = resolveTarget(opts, io);
    const api = createApi(target);
    let r: { revoked: boolean };
    if (isAdminKey(target)) {
      if (!opts.client) throw new CliError('USAGE', 'with a platform-admin key, --client <id> is required');
      r = await send(
        target,
        `revoke key ${id}`,
        api.DELETE('/v1/admin/clients/{id}/api-keys/{keyId}', {
          params: { path: { id: opts.client, keyId: id } },
        }),
      );
    } else {
      if (opts.client) await ownClient(target, opts.client);
      r = await send(
        target,
        `revoke key ${id}`,
        api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } }),
      );
    }
    emit(io, opts.output, { id, ...r }, () => `key ${id} revoked`);
  });
}
