-- Organisation settings: default mail servers, insecure-server permission.
ALTER TABLE "Tenant" ADD COLUMN "settings" JSONB NOT NULL DEFAULT '{}';
