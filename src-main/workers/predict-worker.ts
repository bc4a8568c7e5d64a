// Worker-thread entry for predicting a folder from the app (bundled through `?modulePath`): decoding
// and running a model over thousands of images must never block the thread answering the UI. Rows go
// to the main side as they are predicted (see services/predict-handlers.ts).
import { serveJobInWorker } from '../jobs/worker-side'
import { predictJob } from '../export/predict-job'

serveJobInWorker(predictJob)
