import { router } from '../../init.js';
import { addProcedure } from './add.js';
import { editProcedure } from './edit.js';
import { listProcedure } from './list.js';
import { removeProcedure } from './remove.js';

export const accountsRouter = router({
  list: listProcedure,
  add: addProcedure,
  edit: editProcedure,
  remove: removeProcedure
});
