import { router } from '../../init.js';
import { listProcedure } from './list.js';
import { setFlagsProcedure } from './set-flags.js';

export const messagesRouter = router({ list: listProcedure, setFlags: setFlagsProcedure });
