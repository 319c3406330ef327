import { router } from '../../init.js';
import { auditLogProcedure } from './audit-log.js';
import { inviteProcedure } from './invite.js';
import { getMailDefaultsProcedure, setMailDefaultsProcedure } from './mail-defaults.js';
import { runMaintenanceProcedure } from './run-maintenance.js';

export const adminRouter = router({
  invite: inviteProcedure,
  auditLog: auditLogProcedure,
  runMaintenance: runMaintenanceProcedure,
  getMailDefaults: getMailDefaultsProcedure,
  setMailDefaults: setMailDefaultsProcedure
});
