/**
 * Launchpad's access levels, in increasing order of what they allow, with the titles the
 * authorization page shows. `UNAUTHORIZED` is the person's refusal.
 */
export const PERMISSIONS = [
  { value: 'UNAUTHORIZED', title: 'No Access' },
  { value: 'READ_PUBLIC', title: 'Read Non-Private Data' },
  { value: 'WRITE_PUBLIC', title: 'Change Non-Private Data' },
  { value: 'READ_PRIVATE', title: 'Read Anything' },
  { value: 'WRITE_PRIVATE', title: 'Change Anything' },
  { value: 'DESKTOP_INTEGRATION', title: 'Integrate an entire system' },
] as const;

/** One of Launchpad's permission level names. */
export type Permission = (typeof PERMISSIONS)[number]['value'];

const TITLES: ReadonlyMap<string, string> = new Map(PERMISSIONS.map((p) => [p.value, p.title]));

/**
 * Whether `value` names a permission level.
 *
 * @example isPermission('READ_PUBLIC') // true
 */
export function isPermission(value: string): value is Permission {
  return TITLES.has(value);
}

/**
 * The title the authorization page shows for a level, e.g. `Read Anything`.
 *
 * @example permissionTitle('READ_PRIVATE') // 'Read Anything'
 */
export function permissionTitle(permission: Permission): string {
  return TITLES.get(permission)!;
}
