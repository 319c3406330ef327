import { router } from '../../init.js';
import { deleteProcedure, renameProcedure } from './change.js';
import { createProcedure } from './create.js';
import { listProcedure } from './list.js';

export const foldersRouter = router({
  list: listProcedure,
  create: createProcedure,
  rename: renameProcedure,
  delete: deleteProcedure
});
