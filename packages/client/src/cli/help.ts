// What `signet --help` and `signet help COMMAND` print.

export const HELP = `signet: OAuth 1.0a from the command line

Usage:
  signet login <server | user@host> [options]   authorize signet and save the token
  signet call [METHOD] URL [ITEM ...] [options]  make a signed request, print the answer
  signet sign METHOD URL [ITEM ...] [options]    print the Authorization header (or --curl)
  signet profiles [--json]                       list saved credentials (never secrets)
  signet logout <profile | server> | --all       forget saved credentials
  signet help [command]

Items:
  name=value    a query parameter for GET and HEAD, a form field otherwise (a JSON
                string field with --json)
  name==value   always a query parameter
  name:=json    a raw JSON field (with --json)

Credentials live in $SIGNET_CONFIG_DIR/credentials.json (default
~/.config/signet/credentials.json), mode 0600.

Exit codes:
  0  success
  1  unexpected failure (a bug, an unreadable file)
  2  usage error
  3  network error: the server could not be reached
  4  the server refused: an HTTP error status or an OAuth problem
  5  authorization declined, expired or not given in time
  6  no saved credentials for that server or profile: run signet login first
`;

export const COMMAND_HELP: Record<string, string> = {
  login: `Usage: signet login <server | user@host> [options]

Discovers the server's endpoints (host-meta, WebFinger), registers signet as a client when
no --consumer-key is given and the server allows it (pump.io), gets a request token, prints
the authorization URL (and opens a browser when there is one), then reads the verifier at
the prompt or, for Launchpad-style servers, waits until you have decided. Saves the token.

Options:
  --consumer-key KEY          use this consumer instead of registering one
  --consumer-secret SECRET    its secret (or set SIGNET_CONSUMER_SECRET)
  --signature-method NAME     HMAC-SHA1 (default), HMAC-SHA256, HMAC-SHA512, RSA-SHA1,
                              RSA-SHA256, RSA-SHA512 or PLAINTEXT
  --rsa-key FILE              PEM private key for the RSA methods
  --placement WHERE           header (default), query or body
  --realm REALM               realm of the Authorization header
  --request-token-url URL     skip discovery: the three endpoints
  --authorize-url URL
  --access-token-url URL
  --token-method GET|POST     HTTP method of the token requests (default POST)
  --launchpad                 Launchpad flavour (/+request-token, PLAINTEXT, polling)
  --permission LEVEL          Launchpad: offer only these levels (repeatable)
  --context NAME              Launchpad: limit the grant to this context
  --timeout SECONDS           how long to wait for a Launchpad decision (default 900)
  --app-name NAME             the name to register (default "signet"); the client
                              registered with a server is remembered and reused
  --api URL                   another origin these credentials sign for (repeatable)
  --profile NAME              save under this name (default: the server's host)
  --no-browser                do not open a browser
`,
  call: `Usage: signet call [METHOD] URL [ITEM ...] [options]

Signs the request with the saved credentials whose server matches the URL (or --profile),
sends it, follows redirects (signing each hop) and prints the body: JSON pretty-printed,
anything else as is.

Options:
  --profile NAME         the credentials to use
  --json                 send the items as a JSON object
  --data TEXT|@FILE      send this body (set its type with -H 'Content-Type: ...')
  -H, --header 'N: V'    add a header (repeatable)
  --raw                  print the body exactly as received
  -i, --include          print the status line and headers first
  -v, --verbose          print the request line, the Authorization header (signature and
                         secrets redacted) and the signature base string on stderr
`,
  sign: `Usage: signet sign METHOD URL [ITEM ...] [options]

Prints the Authorization header for the request (the signed URL or body for query or body
placement), or with --curl a curl command that sends it. Prints secrets only as the
signature needs them (PLAINTEXT shows the secrets: that is what it signs with). Every flag
given wins over the saved profile.

Options:
  --curl                 print a ready curl command
  --profile NAME         the credentials to use (default: the URL's server)
  --consumer-key KEY     sign with these instead of a profile
  --consumer-secret S    (or SIGNET_CONSUMER_SECRET)
  --token T              (optional)
  --token-secret S       (or SIGNET_TOKEN_SECRET)
  --signature-method M   --rsa-key FILE   --realm R
  --placement WHERE      header, query or body
  --json  --data TEXT|@FILE  -H 'N: V'   as for call
  --nonce N  --timestamp T   fixed values, to compare with a server's documented example
  --callback URL  --verifier V   oauth_callback and oauth_verifier (token requests)
  --base-string          also print the signature base string and the signing key's shape
`,
  profiles: `Usage: signet profiles [--json]

Lists the saved credentials: profile, server, consumer key, signature method, when saved.
Secrets are never printed.
`,
  logout: `Usage: signet logout <profile | server> | --all

Forgets saved credentials. The token stays valid on the server until you revoke it there.
`,
};
