import { z } from 'zod';

/** One message or many (a selection), of the account the procedure is about. */
export const messageIdsSchema = z
  .array(z.uuid())
  .min(1, 'Choose at least one message.')
  .max(1000, 'At most 1000 messages at once.');
