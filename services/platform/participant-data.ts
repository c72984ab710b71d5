/**
 * How a service declares the data it holds about one participant, so a data-subject request (export,
 * erasure: client-management's dsr/) covers it without knowing the service. Each service lists its
 * tables in its own `participant-data.ts`; the composition root (services/app.ts) hands every list to the
 * DSR. A table added later is covered by adding one entry there; the DSR code does not change.
 *
 * Declared tables say what erasure means for them (remove the rows, or keep them under a pseudonym: a
 * ledger keeps its amounts and ids). Every other text, json and jsonb column of every table is swept as a
 * safety net: a value equal to the participant's id, a JSON string equal to it, or the participant's
 * email or phone anywhere in a text, is replaced by the pseudonym. Tables must carry `client_id`; the
 * request only touches the caller's client.
 */
export interface ParticipantTable {
  table: string;
  /** Columns equal to the participant's id: such rows are the participant's. */
  idColumns: readonly string[];
  /**
   * Text or JSON columns whose mention of the participant (their id, email, phone or anonymous id as a
   * whole token) makes the row theirs: an event payload in an outbox.
   */
  mentionedIn?: readonly string[];
  /** Columns holding the participant's email or phone (read first, so other rows are matched by them). */
  contactColumns?: readonly string[];
  /**
   * Erasure: `delete` removes the participant's rows; `pseudonymise` keeps them with `idColumns` set to
   * the pseudonym and the `clear` columns set to null.
   */
  erase: 'delete' | { pseudonymise: true; clear?: readonly string[] };
}

export interface ClickHouseParticipantTable {
  table: string;
  /**
   * Columns naming the participant in rows that are someone else's (a referee's event names its
   * referrer): set to the pseudonym instead of deleting the row. Rows whose other columns name the
   * participant are deleted.
   */
  pseudonymise: readonly string[];
}

export interface ParticipantData {
  service: string;
  tables: readonly ParticipantTable[];
  clickhouse?: readonly ClickHouseParticipantTable[];
}
