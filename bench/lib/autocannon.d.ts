// autocannon ships no types and @types/autocannon is not installed: the worker uses it untyped.
declare module 'autocannon';
