// The storage contract of @signet/server, in one place. TODO: import from '@signet/server'
// once its index exports these types; until then the compiled declarations are read directly.
export type {
  AccessToken,
  Consumer,
  Grant,
  NonceUse,
  OAuthStore,
  RequestToken,
} from '../../../server/dist/src/store.js';
