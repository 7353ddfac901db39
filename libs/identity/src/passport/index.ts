export { BearerStrategy, BEARER_STRATEGY } from './bearer.strategy';
export { LocalStrategy, LOCAL_STRATEGY } from './local.strategy';
export { LdapStrategy, LDAP_STRATEGY } from './ldap.strategy';
export { bearerTokenOf, type StrategyRequest } from './bearer-token';
export { loginInputOf } from './login-input';
export { ScopedStrategyName } from './strategy-registration';
export {
  OidcStrategy,
  OIDC_STRATEGY,
  OIDC_BROWSER_COOKIE,
  oidcBrowserCookie,
  oidcCallbackParams,
} from './oidc.strategy';
