import { router } from '../../init.js';
import { eventsProcedure } from './events.js';

export const liveRouter = router({ events: eventsProcedure });
