// Worker-thread entry for the label-issues job (bundled separately through `?modulePath`): feature
// extraction and k head trainings must never block the thread answering the UI.
import { serveJobInWorker } from '../jobs/worker-side'
import { runLabelIssues } from '../review/label-issues-job'

serveJobInWorker(runLabelIssues)
