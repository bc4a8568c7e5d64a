// Worker-thread entry for training runs (bundled separately through `?modulePath`): a training step
// blocks its thread for up to a second or more, which must never be the thread answering the UI.
import { serveJobInWorker } from '../jobs/worker-side'
import { trainingJob } from './training-job'

serveJobInWorker(trainingJob)
