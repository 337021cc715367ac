/**
 * A D1 binding that records every statement it runs (alone or inside `batch()`), with its
 * parameters and what D1 reports about it (rows read, written, returned), and can run a
 * hook before a statement. Tests use it to hold an invocation to its budget (Workers allow
 * ~1,000 queries per invocation, we plan for 500) and to stage races at an exact point of
 * a protocol (another consumer claims rows just before this one does).
 */

export interface D1Call {
  sql: string;
  params: unknown[];
  /** Rows SQLite visited, as D1 bills them. */
  rowsRead: number;
  rowsWritten: number;
  /** Rows handed back to the Worker. */
  rowsReturned: number;
}

export interface D1Spy {
  db: D1Database;
  calls: D1Call[];
  /** Forgets what was recorded so far (e.g. between two invocations). */
  reset(): void;
  totals(): { statements: number; rowsRead: number; rowsWritten: number; rowsReturned: number };
}

type Hook = (sql: string, params: unknown[]) => Promise<void> | void;

interface Wrapped {
  inner: D1PreparedStatement;
  sql: string;
  params: unknown[];
}

const WRAPPED = Symbol('d1-spy statement');

export function spyD1(db: D1Database, before?: Hook): D1Spy {
  const calls: D1Call[] = [];
  const record = (sql: string, params: unknown[], result: D1Result<unknown> | null) => {
    const meta = (result?.meta ?? {}) as Partial<D1Meta>;
    calls.push({
      sql,
      params,
      rowsRead: meta.rows_read ?? 0,
      rowsWritten: meta.rows_written ?? 0,
      rowsReturned: result?.results?.length ?? 0,
    });
  };

  const wrap = (inner: D1PreparedStatement, sql: string, params: unknown[]): D1PreparedStatement => {
    const state: Wrapped = { inner, sql, params };
    const statement = {
      [WRAPPED]: state,
      bind: (...values: unknown[]) => wrap(inner.bind(...values), sql, values),
      async first<T>(column?: string): Promise<T | null> {
        await before?.(sql, params);
        // first() is all() + pick, so the meta of the run is available.
        const result = await inner.all<Record<string, unknown>>();
        record(sql, params, result);
        const row = result.results[0];
        if (row === undefined) return null;
        return (column === undefined ? row : row[column]) as T;
      },
      async all<T>(): Promise<D1Result<T>> {
        await before?.(sql, params);
        const result = await inner.all<T>();
        record(sql, params, result as D1Result<unknown>);
        return result;
      },
      async run<T>(): Promise<D1Result<T>> {
        await before?.(sql, params);
        const result = await inner.run<T>();
        record(sql, params, result as D1Result<unknown>);
        return result;
      },
      async raw<T>(options?: { columnNames?: boolean }): Promise<T[]> {
        await before?.(sql, params);
        const rows = await inner.raw<T>(options as { columnNames: true });
        record(sql, params, { results: rows, success: true, meta: {} } as unknown as D1Result<unknown>);
        return rows as T[];
      },
    };
    return statement as unknown as D1PreparedStatement;
  };

  const unwrap = (statement: D1PreparedStatement): Wrapped => {
    const state = (statement as unknown as { [WRAPPED]?: Wrapped })[WRAPPED];
    if (!state) throw new Error('d1-spy: batch() got a statement prepared on another binding');
    return state;
  };

  const spy = {
    prepare: (sql: string) => wrap(db.prepare(sql), sql, []),
    async batch<T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      const states = statements.map(unwrap);
      for (const state of states) await before?.(state.sql, state.params);
      const results = await db.batch<T>(states.map((state) => state.inner));
      states.forEach((state, index) => {
        record(state.sql, state.params, (results[index] ?? null) as D1Result<unknown> | null);
      });
      return results;
    },
    async exec(query: string): Promise<D1ExecResult> {
      const result = await db.exec(query);
      for (let index = 0; index < result.count; index++) record(query, [], null);
      return result;
    },
    withSession: () => {
      throw new Error('d1-spy: sessions are not recorded');
    },
    dump: () => db.dump(),
  };

  return {
    db: spy as unknown as D1Database,
    calls,
    reset: () => {
      calls.length = 0;
    },
    totals: () => ({
      statements: calls.length,
      rowsRead: calls.reduce((sum, call) => sum + call.rowsRead, 0),
      rowsWritten: calls.reduce((sum, call) => sum + call.rowsWritten, 0),
      rowsReturned: calls.reduce((sum, call) => sum + call.rowsReturned, 0),
    }),
  };
}
