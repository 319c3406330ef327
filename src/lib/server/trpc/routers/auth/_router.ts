import { router } from '../../init.js';
import { changePasswordProcedure } from './change-password.js';
import { loginProcedure } from './login.js';
import { logoutProcedure } from './logout.js';
import { meProcedure } from './me.js';
import { signupProcedure } from './signup.js';

export const authRouter = router({
  signup: signupProcedure,
  login: loginProcedure,
  logout: logoutProcedure,
  changePassword: changePasswordProcedure,
  me: meProcedure
});
