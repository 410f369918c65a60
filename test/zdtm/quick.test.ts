// Vitest project "zdtm-quick": the tests named in zdtm/quick.list (CI's set).
import { defineZdtmSuite } from './suite';

defineZdtmSuite('quick');
