-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "appendError" TEXT,
ADD COLUMN     "appendedAt" TIMESTAMP(3),
ADD COLUMN     "claimedAt" TIMESTAMP(3),
ADD COLUMN     "committingAt" TIMESTAMP(3),
ADD COLUMN     "draft" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "scheduled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "smtpResponse" TEXT;
