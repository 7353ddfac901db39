import { Initial1764300000000 } from './1764300000000-initial';

/** Every migration, in order. Schema changes are made only here (synchronize is off everywhere). */
export const migrations = [Initial1764300000000];
