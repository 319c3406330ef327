import { router } from '../../init.js';
import { listProcedure } from './list.js';

export const foldersRouter = router({ list: listProcedure });
