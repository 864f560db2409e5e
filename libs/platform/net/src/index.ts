export * from './free-ports';
export * from './wait-for-port';
