// The storage contract of @signet/server, imported in one place.
export type {
  AccessToken,
  Consumer,
  Grant,
  NonceUse,
  OAuthStore,
  RequestToken,
} from '@signet/server';
