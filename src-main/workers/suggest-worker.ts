// Worker-thread entry for the suggest job (bundled separately through `?modulePath`): predicting
// thousands of images blocks a thread for minutes, which must never be the thread answering the UI.
import { serveJobInWorker } from '../jobs/worker-side'
import { suggestJob } from '../review/suggest-job'

serveJobInWorker(suggestJob)
