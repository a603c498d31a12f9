/** Op attributes are plain JSON data, so a graph can be hashed, compared and saved. */
export type AttrValue = number | string | boolean | null | readonly number[] | readonly string[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export const noAttrs: Attrs = Object.freeze({});

/** A stable key: attribute order in the object literal must not change a node's identity. */
export function attrsKey(attrs: Attrs): string {
  const keys = Object.keys(attrs);
  if (keys.length === 0) return "";
  keys.sort();
  let key = "";
  for (const k of keys) key += `${k}=${JSON.stringify(attrs[k])};`;
  return key;
}
