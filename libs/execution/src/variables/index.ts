export * from './deployment-variables';
