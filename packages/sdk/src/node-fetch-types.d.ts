// The generated fetch client names the DOM's `BodyInit`; the repository type-checks without the DOM
// library (Node code), so it is Node's fetch (undici) type here. The package's own build
// (tsconfig.build.json) uses the DOM library and leaves this file out.
type BodyInit = import('undici-types').BodyInit;
