/**
 * A cache for values that are costly to build from a key (compiled patterns, schema validators):
 * at most `limit` entries, emptied when full. Requests repeat the same few keys, so this is enough.
 */
export function boundedCache<V>(limit: number): (key: string, make: () => V) => V {
  const entries = new Map<string, V>();
  return (key, make) => {
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    if (entries.size >= limit) entries.clear();
    entries.set(key, value);
    return value;
  };
}
