-- CreateTable
CREATE TABLE "PartCache" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "part" TEXT NOT NULL,
    "size" INTEGER,
    "complete" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastReadAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PartCache_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PartChunk" (
    "partId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "PartChunk_pkey" PRIMARY KEY ("partId","seq")
);

-- Attachments are mostly compressed already (JPEG, PDF, ZIP): store chunks out of line without
-- trying to compress them again. (Not part of Prisma's model, so no schema drift.)
ALTER TABLE "PartChunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;

-- CreateIndex
CREATE INDEX "PartCache_tenantId_messageId_idx" ON "PartCache"("tenantId", "messageId");

-- CreateIndex
CREATE INDEX "PartCache_lastReadAt_idx" ON "PartCache"("lastReadAt");

-- CreateIndex
CREATE UNIQUE INDEX "PartCache_messageId_part_key" ON "PartCache"("messageId", "part");

-- AddForeignKey
ALTER TABLE "PartCache" ADD CONSTRAINT "PartCache_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PartChunk" ADD CONSTRAINT "PartChunk_partId_fkey" FOREIGN KEY ("partId") REFERENCES "PartCache"("id") ON DELETE CASCADE ON UPDATE CASCADE;
