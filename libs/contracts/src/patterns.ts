/**
 * Message patterns on the transport between the apps (SPEC 5).
 * Requests are request/response (gateway → admin-api); events are broadcast (admin-api → every gateway).
 */
export const IdentityPatterns = {
  /** Authenticate an MQTT CONNECT. Payload {@link AuthenticateRequestDto}, answer {@link AuthenticateResultDto}. */
  AUTHENTICATE: 'identity.authenticate',
  /** Resolve the principal of a user id. Payload {@link ResolvePrincipalRequestDto}, answer {@link PrincipalDto} or null. */
  RESOLVE_PRINCIPAL: 'identity.resolve-principal',
  /**
   * The Gatehouse user bound to a provider's (issuer, subject), for a CONNECT whose password is an access
   * token the gateway verified itself (OIDC_MQTT_ACCESS_TOKENS, ADR 0027). Payload
   * {@link ResolveFederatedPrincipalRequestDto}, answer {@link AuthenticateResultDto}.
   */
  RESOLVE_FEDERATED_PRINCIPAL: 'identity.resolve-federated-principal',
} as const;

export const GatewayPatterns = {
  /**
   * A gateway announces the address of its event listener (loopback TCP transport only; with NATS every
   * gateway subscribes to the event subjects itself). Payload {@link GatewayRegistrationDto}, answer `{ ok: true }`.
   * Gateways repeat it periodically so that a restarted admin-api learns them again.
   */
  REGISTER: 'gateway.register',
} as const;

export const IdentityEvents = {
  /** A principal changed: payload {@link PrincipalChangedEventDto}. */
  PRINCIPAL_CHANGED: 'identity.principal-changed',
} as const;

export const RegistryPatterns = {
  /**
   * The CA certificates the gateways trust for client certificates (the Gatehouse CA). Payload `{}`,
   * answer {@link CaCertificatesDto}. Asked at start and periodically, so a gateway needs no shared files.
   */
  CA_CERTIFICATES: 'registry.ca-certificates',
} as const;

export const AuditPatterns = {
  /**
   * A gateway's aggregated MQTT refusals (CONNECT refused, PUBLISH and SUBSCRIBE denied), sent in batches
   * every few seconds (SPEC 6, ADR 0016). Payload {@link MqttRefusalBatchDto}, answer `{ recorded: n }`.
   */
  RECORD_MQTT_REFUSALS: 'audit.record-mqtt-refusals',
} as const;

export const SessionPatterns = {
  /**
   * admin-api → every gateway (scatter-gather, ADR 0022): the gateway's live sessions. Payload
   * {@link ListSessionsRequestDto}, answer {@link ListSessionsResultDto}.
   */
  LIST: 'gateway.sessions.list',
  /**
   * admin-api → every gateway: end the session of a client id if this gateway holds it. Payload
   * {@link DisconnectSessionRequestDto}, answer {@link DisconnectSessionResultDto}.
   */
  DISCONNECT: 'gateway.sessions.disconnect',
  /**
   * admin-api → every gateway: which live subscriptions/sessions the given would-be principals revoke.
   * Payload {@link PreviewRevocationsRequestDto}, answer {@link PreviewRevocationsResultDto}.
   */
  PREVIEW: 'gateway.sessions.preview',
} as const;
