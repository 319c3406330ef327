-- Message bodies rendered for reading once, by the worker, when fetched (see Message in schema.prisma).
-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "htmlSafe" TEXT,
ADD COLUMN     "htmlSafeRemote" TEXT,
ADD COLUMN     "remoteContent" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "renderNonce" TEXT,
ADD COLUMN     "renderVersion" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "textSafe" TEXT;
