// Vitest project "zdtm": every test that `zdtm run -a` would run.
import { defineZdtmSuite } from './suite';

defineZdtmSuite('all');
