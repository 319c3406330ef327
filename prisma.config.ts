import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const root = dirname(fileURLToPath(import.meta.url));

// Prisma's CLI downloads a native schema engine at install time. Where that download is
// impossible (offline build machines, this project's CI) fall back to our stand-in, which
// runs Prisma's own WebAssembly schema engine. Self-hosters and Docker builds have the
// native engine and never use the stand-in.
function nativeSchemaEngine(): boolean {
  const dir = join(root, 'node_modules', '@prisma', 'engines');
  try {
    return readdirSync(dir).some(
      (f) => f.startsWith('schema-engine') && !f.endsWith('.js') && !f.endsWith('.ts')
    );
  } catch {
    return false;
  }
}
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && !nativeSchemaEngine()) {
  const shim = join(root, 'tools', 'prisma-wasm-schema-engine.mjs');
  if (existsSync(shim)) process.env.PRISMA_SCHEMA_ENGINE_BINARY = shim;
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/emailclient' }
});
