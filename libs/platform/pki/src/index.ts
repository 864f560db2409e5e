export * from './audit-keys';
export * from './ca-rotation';
export * from './caller-token-keys';
export * from './certificate-authority';
export * from './cluster-pki';
export * from './haproxy-runtime';
export * from './pki-files';
export * from './pki-layout';
