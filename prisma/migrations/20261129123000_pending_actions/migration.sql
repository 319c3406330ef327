-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "deleting" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "srcFolderId" UUID,
ADD COLUMN     "srcUid" BIGINT,
ADD COLUMN     "srcUidValidity" BIGINT;

-- CreateIndex
CREATE INDEX "Message_srcFolderId_idx" ON "Message"("srcFolderId");
