import passport, { type Strategy } from 'passport';

let instances = 0;

/**
 * Passport keeps one process-wide registry of strategies by name, and `PassportStrategy` registers
 * every instance under its base name (`bearer`, `local`, `ldap`): with two apps in one process (the
 * tests, an embedding), the last one constructed would answer for both, against its own database. So
 * each instance is also registered under a name of its own (`bearer#3`), which the app's guards use,
 * and removed when its module is destroyed (ADR 0026).
 */
export class ScopedStrategyName {
  readonly name: string;

  constructor(base: string, strategy: Strategy) {
    this.name = `${base}#${++instances}`;
    passport.use(this.name, strategy);
  }

  release(): void {
    passport.unuse(this.name);
  }
}
