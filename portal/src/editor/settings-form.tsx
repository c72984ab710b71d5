import type { ReactElement } from 'react';

interface Setting {
  type: 'number' | 'integer' | 'string' | 'boolean' | 'duration' | 'date';
  default: unknown;
  min?: number | string;
  max?: number | string;
  enum?: unknown[];
  title?: string;
  description?: string;
}

/**
 * A form generated from the campaign's `settings:` declarations: a marketer changes values without
 * touching the steps. The values are deploy-time overrides (checked by the same validator).
 */
export function SettingsForm({
  declared,
  values,
  onChange,
}: {
  declared: Record<string, Setting> | undefined;
  values: Record<string, unknown>;
  onChange(values: Record<string, unknown>): void;
}) {
  const entries = Object.entries(declared ?? {}).filter(([, s]) => s && typeof s === 'object');
  if (entries.length === 0) return <p className="state">This campaign declares no settings.</p>;
  const set = (name: string, v: unknown) => {
    const next = { ...values };
    if (v === undefined) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  return (
    <form className="settings-form" onSubmit={(e) => e.preventDefault()} aria-label="Campaign settings">
      {entries.map(([name, s]) => {
        const id = `setting-${name}`;
        const current = name in values ? values[name] : s.default;
        const changed = name in values;
        const help = s.description ? (
          <p className="hint" id={`${id}-help`}>
            {s.description}
          </p>
        ) : null;
        const label = (
          <label htmlFor={id}>
            {s.title ?? name} <code className="muted">{name}</code>
            {changed ? <span className="badge">changed</span> : null}
          </label>
        );
        let input: ReactElement;
        if (s.type === 'boolean')
          input = (
            <input
              id={id}
              type="checkbox"
              checked={Boolean(current)}
              aria-describedby={s.description ? `${id}-help` : undefined}
              onChange={(e) => set(name, e.target.checked === s.default ? undefined : e.target.checked)}
            />
          );
        else if (s.enum)
          input = (
            <select
              id={id}
              value={String(current)}
              onChange={(e) =>
                set(
                  name,
                  e.target.value === String(s.default)
                    ? undefined
                    : s.enum?.find((x) => String(x) === e.target.value),
                )
              }
            >
              {s.enum.map((x) => (
                <option key={String(x)}>{String(x)}</option>
              ))}
            </select>
          );
        else if (s.type === 'number' || s.type === 'integer')
          input = (
            <input
              id={id}
              type="number"
              step={s.type === 'integer' ? 1 : 'any'}
              min={typeof s.min === 'number' ? s.min : undefined}
              max={typeof s.max === 'number' ? s.max : undefined}
              value={String(current ?? '')}
              aria-describedby={s.description ? `${id}-help` : undefined}
              onChange={(e) =>
                set(
                  name,
                  e.target.value === '' || Number(e.target.value) === s.default
                    ? undefined
                    : Number(e.target.value),
                )
              }
            />
          );
        else
          input = (
            <input
              id={id}
              type={s.type === 'date' ? 'text' : 'text'}
              value={String(current ?? '')}
              placeholder={s.type === 'duration' ? 'e.g. 14d' : undefined}
              aria-describedby={s.description ? `${id}-help` : undefined}
              onChange={(e) => set(name, e.target.value === s.default ? undefined : e.target.value)}
            />
          );
        return (
          <div key={name} className={`field ${s.type === 'boolean' ? 'inline' : ''}`}>
            {s.type === 'boolean' ? (
              <>
                {input}
                {label}
              </>
            ) : (
              <>
                {label}
                {input}
              </>
            )}
            {help}
          </div>
        );
      })}
      {Object.keys(values).length ? (
        <button type="button" className="small" onClick={() => onChange({})}>
          Reset to defaults
        </button>
      ) : null}
    </form>
  );
}
