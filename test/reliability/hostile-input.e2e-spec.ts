import { describeHostileInput } from './support/hostile-input.suite';

// 300 generated cases per body route in the default run; test/reliability/soak.soak-spec.ts runs more.
describeHostileInput(300);
