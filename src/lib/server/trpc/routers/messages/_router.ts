import { router } from '../../init.js';
import { getProcedure } from './get.js';
import { listProcedure } from './list.js';
import { setFlagsProcedure } from './set-flags.js';

export const messagesRouter = router({ list: listProcedure, get: getProcedure, setFlags: setFlagsProcedure });
