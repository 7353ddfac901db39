/** SPEC 1.3: 3..128 characters, a letter or digit first, then letters, digits and `_ . : @ -`. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 128;

/**
 * Why `username` is not a valid Gatehouse username (SPEC 1.3), or null when it is. Used by the gateway
 * to refuse a CONNECT without asking admin-api, and by the transport DTOs.
 */
export function usernameProblem(username: string): string | null {
  if (username.length < USERNAME_MIN_LENGTH || username.length > USERNAME_MAX_LENGTH)
    return `username must be ${USERNAME_MIN_LENGTH}..${USERNAME_MAX_LENGTH} characters`;
  if (!USERNAME_PATTERN.test(username))
    return 'username may hold only letters, digits and _ . : @ - (a letter or digit first)';
  return null;
}
