/** `$SYS/` is never writable by clients (SPEC 3), whatever their permissions say. */
export function isReservedTopic(topic: string): boolean {
  return topic.startsWith('$SYS/') || topic === '$SYS';
}
