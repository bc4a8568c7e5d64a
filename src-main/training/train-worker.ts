// Worker-thread entry for training runs (bundled separately through `?modulePath`): a training step
// blocks its thread for up to a second or more, which must never be the thread answering the UI.
import { serveJobInWorker } from '../jobs/worker-side'
import { transferRun } from '../transfer/transfer-job'
import { trainRun, type TrainInput } from './train-job'

serveJobInWorker((input: TrainInput, context) =>
  input.settings.model === 'mobilenetv2' ? transferRun(input, context) : trainRun(input, context)
)
