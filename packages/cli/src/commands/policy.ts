import type { Command } from 'commander';
import type { Runtime } from '../runtime';

export function registerPolicy(_program: Command, _rt: Runtime): void {}
