// Worker-thread entry for folder imports (bundled separately through `?modulePath`).
import { serveJobInWorker } from '../jobs/worker-side'
import { importFolder } from '../import/import-folder'

serveJobInWorker(importFolder)
