// Acceptance (issue 4): requests-oauthlib (Debian python3-requests-oauthlib) completes the
// RFC 5849 flow through /oauth/*, then reads and writes notes as the grant allows and is
// refused where it does not: a table over the permission levels and contexts, on SQLite and
// PostgreSQL. The driver is test/fixtures/requests_oauthlib_driver.py.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Note } from '../src/stores/sql.js';
import {
  cli,
  DIALECTS,
  form,
  PythonPeer,
  type Running,
  review,
  seed,
  signedCall,
  startProvider,
} from './http_harness.js';

type TokenType = 'header' | 'query' | 'body';

interface Grant {
  readonly name: string;
  readonly user: 'alice' | 'bob';
  readonly permission: string;
  readonly context?: string;
  readonly method: string;
  /** Where requests-oauthlib puts the oauth parameters in the token steps. */
  readonly tokenType: TokenType;
  /** ... and in the API calls. */
  readonly apiType: 'header' | 'query';
  readonly callback: 'oob' | 'url';
  /** Send note fields as JSON instead of a form. */
  readonly json?: boolean;
  readonly expect: Expectation;
}

/** The fixed notes: A alice public, B alice private, C alice public firefox, D alice
 * private firefox, E bob public, F bob private. */
type Fixed = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';

interface Expectation {
  /** Which fixed notes GET /notes lists. */
  readonly visible: string;
  readonly getB: number;
  readonly getD: number;
  readonly getF: number;
  /** POST public, private, public in firefox, private in firefox. */
  readonly post: readonly [number, number, number, number];
  readonly putA: number;
  readonly putD: number;
  readonly putE: number;
  /** DELETE a fresh public note of the grant's user without context, then a private one in firefox. */
  readonly delX: number;
  readonly delY: number;
}

const READ_ONLY_PUBLIC: Expectation = {
  visible: 'ACE',
  getB: 404,
  getD: 404,
  getF: 404,
  post: [403, 403, 403, 403],
  putA: 403,
  putD: 404,
  putE: 403,
  delX: 403,
  delY: 404,
};
const WRITE_ANYTHING: Expectation = {
  visible: 'ABCDE',
  getB: 200,
  getD: 200,
  getF: 404,
  post: [201, 201, 201, 201],
  putA: 200,
  putD: 200,
  putE: 403,
  delX: 204,
  delY: 204,
};

const GRANTS: readonly Grant[] = [
  {
    name: 'READ_PUBLIC',
    user: 'alice',
    permission: 'READ_PUBLIC',
    method: 'HMAC-SHA1',
    tokenType: 'header',
    apiType: 'header',
    callback: 'oob',
    expect: READ_ONLY_PUBLIC,
  },
  {
    name: 'WRITE_PUBLIC',
    user: 'alice',
    permission: 'WRITE_PUBLIC',
    method: 'HMAC-SHA256',
    tokenType: 'query',
    apiType: 'query',
    callback: 'url',
    expect: {
      visible: 'ACE',
      getB: 404,
      getD: 404,
      getF: 404,
      post: [201, 403, 201, 403],
      putA: 200,
      putD: 404,
      putE: 403,
      delX: 204,
      delY: 404,
    },
  },
  {
    name: 'READ_PRIVATE',
    user: 'alice',
    permission: 'READ_PRIVATE',
    method: 'PLAINTEXT',
    tokenType: 'body',
    apiType: 'header',
    callback: 'oob',
    expect: {
      visible: 'ABCDE',
      getB: 200,
      getD: 200,
      getF: 404,
      post: [403, 403, 403, 403],
      putA: 403,
      putD: 403,
      putE: 403,
      delX: 403,
      delY: 403,
    },
  },
  {
    name: 'WRITE_PRIVATE',
    user: 'alice',
    permission: 'WRITE_PRIVATE',
    method: 'HMAC-SHA1',
    tokenType: 'header',
    apiType: 'header',
    callback: 'url',
    json: true,
    expect: WRITE_ANYTHING,
  },
  {
    name: 'DESKTOP_INTEGRATION',
    user: 'alice',
    permission: 'DESKTOP_INTEGRATION',
    method: 'HMAC-SHA512',
    tokenType: 'header',
    apiType: 'header',
    callback: 'oob',
    expect: WRITE_ANYTHING,
  },
  {
    name: 'WRITE_PRIVATE limited to firefox',
    user: 'alice',
    permission: 'WRITE_PRIVATE',
    context: 'firefox',
    method: 'HMAC-SHA1',
    tokenType: 'body',
    apiType: 'query',
    callback: 'url',
    expect: {
      visible: 'ACDE',
      getB: 404,
      getD: 200,
      getF: 404,
      post: [403, 403, 201, 201],
      putA: 403,
      putD: 200,
      putE: 403,
      delX: 403,
      delY: 204,
    },
  },
  {
    name: 'READ_PRIVATE limited to thunderbird',
    user: 'alice',
    permission: 'READ_PRIVATE',
    context: 'thunderbird',
    method: 'HMAC-SHA256',
    tokenType: 'header',
    apiType: 'header',
    callback: 'oob',
    expect: READ_ONLY_PUBLIC,
  },
  {
    name: 'READ_PRIVATE for bob',
    user: 'bob',
    permission: 'READ_PRIVATE',
    method: 'HMAC-SHA1',
    tokenType: 'header',
    apiType: 'header',
    callback: 'oob',
    expect: {
      visible: 'ACEF',
      getB: 404,
      getD: 404,
      getF: 200,
      post: [403, 403, 403, 403],
      putA: 403,
      putD: 404,
      putE: 403,
      // X and Y are bob's own here: Y (private) is readable, so refused rather than absent.
      delX: 403,
      delY: 403,
    },
  },
];

const CALLBACK = 'http://127.0.0.1:9/callback';

interface Token {
  oauth_token: string;
  oauth_token_secret: string;
  oauth_verifier?: string;
  x_signet_person?: string;
  x_signet_permission?: string;
  oauth_callback_confirmed?: string;
}
interface CallAnswer {
  status: number;
  body: string;
}

for (const dialect of DIALECTS) {
  describe(`RFC 5849 flow with requests-oauthlib, notes by grant (${dialect})`, () => {
    let r: Running;
    let peer: PythonPeer;
    let consumer: { key: string; secret: string };
    const fixed = new Map<Fixed, Note>();

    before(async () => {
      r = await startProvider({ dialect, env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' } });
      peer = new PythonPeer('requests_oauthlib_driver.py');
      await seed(r.store);
      const added = await cli(r, ['consumer', 'add', 'notes app', '--callback', CALLBACK]);
      assert.equal(added.status, 0, added.stderr);
      consumer = added.json as { key: string; secret: string };
      const note = (id: Fixed, owner: string, visibility: 'public' | 'private', context?: string) =>
        r.store
          .createNote({ owner, title: `note ${id}`, body: `body ${id}`, visibility, context })
          .then((n) => fixed.set(id, n));
      await note('A', 'alice', 'public');
      await note('B', 'alice', 'private');
      await note('C', 'alice', 'public', 'firefox');
      await note('D', 'alice', 'private', 'firefox');
      await note('E', 'bob', 'public');
      await note('F', 'bob', 'private');
    });
    after(async () => {
      await peer?.end();
      await r?.close();
    });

    const id = (n: Fixed) => fixed.get(n)!.id;
    const letterOf = (noteId: number): string | undefined =>
      [...fixed].find(([, n]) => n.id === noteId)?.[0];

    /** The whole RFC 5849 dance through requests-oauthlib, the review standing in for the page. */
    async function obtain(g: Grant): Promise<Token> {
      const common = {
        client_key: consumer.key,
        client_secret: consumer.secret,
        signature_method: g.method,
        signature_type: g.tokenType,
      };
      const callback = g.callback === 'oob' ? 'oob' : `${CALLBACK}?grant=${g.permission}`;
      const { token: rt } = await peer.ask<{ token: Token }>({
        op: 'request_token',
        url: `${r.base}/oauth/request_token`,
        callback_uri: callback,
        ...common,
      });
      assert.equal(rt.oauth_callback_confirmed, 'true');
      assert.equal((await r.store.getRequestToken(rt.oauth_token))?.callback, callback);
      const { verifier, redirect } = await review(r, rt.oauth_token, g.permission, {
        user: g.user,
        ...(g.context !== undefined && { context: g.context }),
      });
      let v = verifier;
      if (g.callback === 'url') {
        assert.ok(redirect?.startsWith(`${callback}&oauth_token=`), redirect);
        // requests-oauthlib reads the token and verifier off the redirect.
        const { token: parsed } = await peer.ask<{ token: Token }>({
          op: 'parse_redirect',
          url: redirect,
        });
        assert.equal(parsed.oauth_token, rt.oauth_token);
        v = parsed.oauth_verifier!;
      } else {
        assert.equal(redirect, undefined);
      }
      const wrong = await peer.ask<CallAnswer>({
        op: 'access_token',
        url: `${r.base}/oauth/access_token`,
        resource_owner_key: rt.oauth_token,
        resource_owner_secret: rt.oauth_token_secret,
        verifier: `${v}x`,
        ...common,
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body, 'Invalid verifier.');
      const { token: at } = await peer.ask<{ token: Token }>({
        op: 'access_token',
        url: `${r.base}/oauth/access_token`,
        resource_owner_key: rt.oauth_token,
        resource_owner_secret: rt.oauth_token_secret,
        verifier: v,
        ...common,
      });
      // The token, and who granted what (which clients that do not know them ignore).
      assert.deepEqual(Object.keys(at).sort(), [
        'oauth_token',
        'oauth_token_secret',
        'x_signet_permission',
        'x_signet_person',
      ]);
      assert.equal(at['x_signet_person'], g.user);
      assert.equal(at['x_signet_permission'], g.permission);
      return at;
    }

    async function run(g: Grant, t: Token | undefined) {
      const creds = {
        client_key: consumer.key,
        client_secret: consumer.secret,
        // Launchpad's anonymous access: an empty oauth_token, signed by the consumer alone.
        resource_owner_key: t?.oauth_token ?? '',
        resource_owner_secret: t?.oauth_token_secret ?? '',
        signature_method: g.method,
        signature_type: g.apiType,
      };
      const api = `${r.base}/api/1.0`;
      const send = async (method: string, path: string, fields?: Record<string, string>) => {
        const a = await peer.ask<CallAnswer>({
          op: 'call',
          method,
          url: `${api}${path}`,
          ...creds,
          ...(fields !== undefined && (g.json ? { json: fields } : { data: fields })),
        });
        return a;
      };
      const got: Record<string, unknown> = {};

      const who = await send('GET', '/whoami');
      assert.equal(who.status, 200, who.body);
      const whoami = JSON.parse(who.body) as Record<string, unknown>;
      assert.equal(whoami['person'], t === undefined ? null : g.user);
      assert.equal(whoami['permission'], t === undefined ? 'READ_PUBLIC' : g.permission);
      assert.equal(whoami['context'], g.context ?? null);

      const list = await send('GET', '/notes');
      assert.equal(list.status, 200, list.body);
      const listed = (JSON.parse(list.body) as { notes: { id: number }[] }).notes;
      got['visible'] = listed
        .map((n) => letterOf(n.id))
        .filter((x) => x !== undefined)
        .sort()
        .join('');
      for (const n of ['B', 'D', 'F'] as const) {
        const a = await send('GET', `/notes/${id(n)}`);
        got[`get${n}`] = a.status;
        if (a.status === 200)
          assert.equal((JSON.parse(a.body) as { title: string }).title, `note ${n}`);
        else assert.deepEqual(JSON.parse(a.body), { error: 'No such note.' });
      }
      const post: number[] = [];
      for (const [visibility, context] of [
        ['public', undefined],
        ['private', undefined],
        ['public', 'firefox'],
        ['private', 'firefox'],
      ] as const) {
        const fields: Record<string, string> = {
          title: `${g.name} ${visibility} ${context ?? '-'}`,
          body: 'ünïcode & spaces + plus',
          visibility,
          ...(context !== undefined && { context }),
        };
        const a = await send('POST', '/notes', fields);
        post.push(a.status);
        if (a.status === 201) {
          const created = JSON.parse(a.body) as Record<string, unknown>;
          assert.equal(created['owner'], g.user);
          assert.equal(created['title'], fields['title']);
          assert.equal(created['body'], fields['body']);
          assert.equal(created['visibility'], visibility);
          assert.equal(created['context'], context ?? null);
          const stored = await r.store.getNote(created['id'] as number);
          assert.equal(stored?.body, fields['body']);
        } else {
          assert.equal(a.status, 403, a.body);
          assert.ok(a.body.length > 0);
        }
      }
      got['post'] = post;
      for (const n of ['A', 'D', 'E'] as const) {
        const before = fixed.get(n)!;
        const a = await send('PUT', `/notes/${id(n)}`, { title: `note ${n}` });
        got[`put${n}`] = a.status;
        // A PUT of the title alone changes nothing else.
        const stored = await r.store.getNote(id(n));
        assert.equal(stored?.visibility, before.visibility, `${n} keeps its visibility`);
        assert.equal(stored?.body, before.body, `${n} keeps its body`);
        assert.equal(stored?.context, before.context, `${n} keeps its context`);
      }
      const x = await r.store.createNote({
        owner: g.user,
        title: 'X',
        body: '',
        visibility: 'public',
      });
      const y = await r.store.createNote({
        owner: g.user,
        title: 'Y',
        body: '',
        visibility: 'private',
        context: 'firefox',
      });
      got['delX'] = (await send('DELETE', `/notes/${x.id}`)).status;
      got['delY'] = (await send('DELETE', `/notes/${y.id}`)).status;
      assert.equal((await r.store.getNote(x.id)) === undefined, got['delX'] === 204);
      assert.equal((await r.store.getNote(y.id)) === undefined, got['delY'] === 204);
      return got;
    }

    for (const g of GRANTS) {
      it(`${g.name} (${g.method}, token steps in the ${g.tokenType}, callback ${g.callback})`, async () => {
        const t = await obtain(g);
        const got = await run(g, t);
        assert.deepEqual(got, { ...g.expect, post: [...g.expect.post] });
      });
    }

    it('anonymous access (empty oauth_token) reads public notes only', async () => {
      const anonymous: Grant = {
        name: 'anonymous',
        user: 'alice',
        permission: 'READ_PUBLIC',
        method: 'HMAC-SHA1',
        tokenType: 'header',
        apiType: 'header',
        callback: 'oob',
        expect: READ_ONLY_PUBLIC,
      };
      const got = await run(anonymous, undefined);
      assert.deepEqual(got, { ...READ_ONLY_PUBLIC, post: [...READ_ONLY_PUBLIC.post] });
      // And the refusal of a write says why.
      const a = await signedCall(
        `${r.base}/api/1.0/notes`,
        { consumerKey: consumer.key, consumerSecret: consumer.secret, token: '', tokenSecret: '' },
        { method: 'POST', params: [['title', 't']] },
      );
      assert.equal(a.status, 403);
      assert.equal(a.text, 'Anonymous access is read-only.');
    });

    it('refuses a callback outside the registered one, and a used request token', async () => {
      const denied = await peer.ask<CallAnswer>({
        op: 'request_token',
        url: `${r.base}/oauth/request_token`,
        callback_uri: 'http://127.0.0.1:9/callbackevil',
        client_key: consumer.key,
        client_secret: consumer.secret,
      });
      assert.equal(denied.status, 400, denied.body);
      assert.equal(
        form(denied.body)['error_description'],
        'Callback URL not allowed for this consumer.',
      );
      const { token: rt } = await peer.ask<{ token: Token }>({
        op: 'request_token',
        url: `${r.base}/oauth/request_token`,
        callback_uri: 'oob',
        client_key: consumer.key,
        client_secret: consumer.secret,
      });
      const { verifier } = await review(r, rt.oauth_token, 'READ_PUBLIC');
      const exchange = () =>
        peer.ask<{ token?: Token } & Partial<CallAnswer>>({
          op: 'access_token',
          url: `${r.base}/oauth/access_token`,
          client_key: consumer.key,
          client_secret: consumer.secret,
          resource_owner_key: rt.oauth_token,
          resource_owner_secret: rt.oauth_token_secret,
          verifier,
        });
      assert.ok((await exchange()).token);
      const again = await exchange();
      assert.equal(again.status, 401);
      assert.equal(again.body, 'No request token specified.');
    });
  });
}
