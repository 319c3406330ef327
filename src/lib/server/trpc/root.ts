import { router } from './init.js';
import { accountsRouter } from './routers/accounts/_router.js';
import { adminRouter } from './routers/admin/_router.js';
import { authRouter } from './routers/auth/_router.js';
import { composeRouter } from './routers/compose/_router.js';
import { foldersRouter } from './routers/folders/_router.js';
import { liveRouter } from './routers/live/_router.js';
import { messagesRouter } from './routers/messages/_router.js';

export const appRouter = router({
  auth: authRouter,
  accounts: accountsRouter,
  folders: foldersRouter,
  messages: messagesRouter,
  compose: composeRouter,
  admin: adminRouter,
  live: liveRouter
});

export type AppRouter = typeof appRouter;
