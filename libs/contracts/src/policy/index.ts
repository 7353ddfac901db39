export * from './policy-document';
