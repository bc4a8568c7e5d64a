// Worker-thread entry for the 'evaluate' job (bundled separately through `?modulePath`): decoding
// and model calls would otherwise block the thread that answers the UI.
import { serveJobInWorker } from '../jobs/worker-side'
import { evaluateRun, type EvaluateInput } from '../review/evaluate-job'

serveJobInWorker((input: EvaluateInput, context) => evaluateRun(input, context))
