// Worker-thread entry for the robustness job (bundled separately through `?modulePath`): gradients
// through a whole image model block their thread for seconds.
import { serveJobInWorker } from '../jobs/worker-side'
import { runRobustness } from '../review/robustness-job'

serveJobInWorker(runRobustness)
