export * from './patterns';
export * from './permission.dto';
export * from './principal.dto';
export * from './authenticate.dto';
export * from './events.dto';
export * from './validate-message';
export * from './transport';
export * from './log-levels';
