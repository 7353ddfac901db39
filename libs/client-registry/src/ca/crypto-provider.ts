import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { cryptoProvider } from '@peculiar/x509';

let installed = false;

/** @peculiar/x509 uses the WebCrypto of whatever provider is set: Node's own. */
export function ensureCryptoProvider(): void {
  if (installed) return;
  cryptoProvider.set(webcrypto);
  installed = true;
}
