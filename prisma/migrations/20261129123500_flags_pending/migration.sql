-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "flagsPendingAt" TIMESTAMP(3);
