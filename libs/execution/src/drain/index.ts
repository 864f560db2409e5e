export * from './drain-coordinator';
