-- Run once by the `create-database` job of docker/compose.sqlserver.yml (sqlcmd, as sa), before
-- `npm run migrate`. Idempotent: a second `docker compose up` changes nothing.
-- sqlcmd variables: DatabaseName, AppLogin, AppPassword.
IF DB_ID(N'$(DatabaseName)') IS NULL
  CREATE DATABASE [$(DatabaseName)];
GO
-- The nodes and the migrate job connect as their own login, not as sa. db_owner because the same
-- login applies migrations (DDL) at start-up; a stricter split would give the nodes
-- db_datareader + db_datawriter and run migrations as another login.
IF SUSER_ID(N'$(AppLogin)') IS NULL
  CREATE LOGIN [$(AppLogin)] WITH PASSWORD = N'$(AppPassword)';
GO
USE [$(DatabaseName)];
GO
IF USER_ID(N'$(AppLogin)') IS NULL
  CREATE USER [$(AppLogin)] FOR LOGIN [$(AppLogin)];
GO
ALTER ROLE db_owner ADD MEMBER [$(AppLogin)];
GO
