import type { Grant } from '@signet/server';
import type { Note, Visibility } from '../stores/sql.js';

/** Who is asking, as the API's policy sees them. */
export interface Caller {
  /** The person, or `undefined` for Launchpad's anonymous access (public reads only). */
  readonly userId: string | undefined;
  readonly grant: Grant | undefined;
}

type Capability = 'readPublic' | 'writePublic' | 'readPrivate' | 'writePrivate';

// Launchpad's levels are not a ladder: WRITE_PUBLIC cannot read private data and
// READ_PRIVATE cannot write, so each level names what it allows.
const CAPABILITIES: Readonly<Record<string, readonly Capability[]>> = {
  UNAUTHORIZED: [],
  READ_PUBLIC: ['readPublic'],
  WRITE_PUBLIC: ['readPublic', 'writePublic'],
  READ_PRIVATE: ['readPublic', 'readPrivate'],
  WRITE_PRIVATE: ['readPublic', 'writePublic', 'readPrivate', 'writePrivate'],
  DESKTOP_INTEGRATION: ['readPublic', 'writePublic', 'readPrivate', 'writePrivate'],
};

/**
 * What the caller may do with something in `context` (a note's context, or none). A grant
 * limited to a context keeps its level there and acts as READ_PUBLIC everywhere else.
 */
function allows(caller: Caller, capability: Capability, context: string | undefined): boolean {
  if (caller.grant === undefined) return capability === 'readPublic';
  const limited = caller.grant.context;
  const level =
    limited !== undefined && limited !== context ? 'READ_PUBLIC' : caller.grant.permission;
  return (CAPABILITIES[level] ?? []).includes(capability);
}

/** Whether the caller may see the note. */
export function canRead(caller: Caller, note: Note): boolean {
  if (note.visibility === 'public') return allows(caller, 'readPublic', note.context);
  return note.owner === caller.userId && allows(caller, 'readPrivate', note.context);
}

/**
 * Why the caller may not write a note of that visibility and context (as owner), or
 * `undefined` when they may.
 */
export function writeRefusal(
  caller: Caller,
  visibility: Visibility,
  context: string | undefined,
): string | undefined {
  if (caller.userId === undefined || caller.grant === undefined) {
    return 'Anonymous access is read-only.';
  }
  const capability = visibility === 'public' ? 'writePublic' : 'writePrivate';
  if (allows(caller, capability, context)) return undefined;
  const what = visibility === 'public' ? 'public' : 'private';
  const limited = caller.grant.context;
  if (limited !== undefined && limited !== context) {
    return `This token is limited to the context ${limited}; it cannot change ${what} notes elsewhere.`;
  }
  return `This token's permission (${caller.grant.permission}) does not allow changing ${what} notes.`;
}
