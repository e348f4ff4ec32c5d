/**
 * The provider boundary. The mock server (./mock-server) is deliberately not re-exported:
 * it is a test tool and product code must not depend on it.
 */
export * from './client';
export * from './errors';
export * from './models';
export * from './tokens';
