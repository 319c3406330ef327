-- Why the worker could not render a message's HTML (too slow or too big to sanitise), see Message.renderError.
-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "renderError" TEXT;
