export * from './app.js';
export * from './config.js';
export { INGEST_ERROR_STATUS, type IngestErrorCode } from './errors.js';
export { openIngestLog } from './ingest-log.js';
