// Preloaded into a `harness worker` process by the embedded crash test (NODE_OPTIONS="--import tsx --import <this>"):
// pairs every chat request it sends with its journal request hash, in <HARNESS_TEST_PAIRS_DIR>/pairs-<pid>.ndjson.
import { pairsDirVar, pairsFile, recordRequests } from './pipeline-model.ts';

const dir = process.env[pairsDirVar];
if (dir) recordRequests(pairsFile(dir, process.pid));
