// Worker-thread entry for the 'report' job (bundled separately through `?modulePath`): the report may
// evaluate the run first and encodes every thumbnail it shows, which would block the thread that
// answers the UI.
import { serveJobInWorker } from '../jobs/worker-side'
import { writeRunReport, type ReportInput } from '../report/write-report'

serveJobInWorker((input: ReportInput, context) => writeRunReport(input, context))
