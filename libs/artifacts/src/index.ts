export * from './artifacts.module';
export * from './file-names/package-file-name';
export * from './persistence/package.entity';
