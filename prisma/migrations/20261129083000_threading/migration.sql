-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "subjectKey" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE INDEX "Message_tenantId_accountId_inReplyTo_idx" ON "Message"("tenantId", "accountId", "inReplyTo");

-- CreateIndex
CREATE INDEX "Message_tenantId_accountId_subjectKey_internalDate_idx" ON "Message"("tenantId", "accountId", "subjectKey", "internalDate");

-- CreateIndex
CREATE INDEX "Message_references_idx" ON "Message" USING GIN ("references");

