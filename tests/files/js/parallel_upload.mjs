// Upload one file to casedesk with tus-js-client under Node (tests/files/test_tus_js.py).
// Usage: node parallel_upload.mjs <endpoint> <token> <case> <file> <parallel> <chunk bytes>
// Prints one JSON line: {"ok": true, "url": ...} or {"ok": false, "error": ...}.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { Upload } from 'tus-js-client'

const [endpoint, token, caseNumber, file, parallel, chunk] = process.argv.slice(2)
const data = readFileSync(file)
const upload = new Upload(data, {
  endpoint,
  headers: { Authorization: `Bearer ${token}` },
  metadata: { case: caseNumber, filename: basename(file), filetype: 'application/octet-stream' },
  // Each part names its case: casedesk binds a part to its creator and case at creation.
  metadataForPartialUploads: { case: caseNumber },
  parallelUploads: Number(parallel),
  chunkSize: Number(chunk),
  retryDelays: [],
  storeFingerprintForResuming: false,
  onError (error) {
    console.log(JSON.stringify({ ok: false, error: String(error) }))
    process.exitCode = 1
  },
  onSuccess () {
    console.log(JSON.stringify({ ok: true, url: upload.url }))
  }
})
upload.start()
