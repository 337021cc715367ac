/**
 * D1 allows at most 100 bound parameters per statement; every multi-row read or write
 * splits its values with this before building statements for one `db.batch()`.
 */
export const D1_MAX_PARAMS = 100;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

export const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(',');
