/**
 * How `tall logs` shows a service's JSON log lines: level (coloured), message, the request id, then the other fields on
 * one line — pino-pretty does the formatting (its prettyFactory, the API its CLI uses). A plain-text line is kept as
 * it is; `--json` never comes here.
 */
import { prettyFactory } from 'pino-pretty';
import { requestIdsOf, structuredRecord, type LogRecord } from '../monitoring/structured-log.js';

/** pino-http logs whole requests and answers (headers included): a log line shows only what tells them apart. */
function condensed(record: LogRecord): LogRecord {
  const shown: LogRecord = { ...record };
  const [requestId] = requestIdsOf(record);
  delete shown.reqId;
  delete shown.requestId;
  if (record.req && typeof record.req === 'object') {
    const { method, url } = record.req as { method?: unknown; url?: unknown };
    shown.req = method || url ? `${method ?? ''} ${url ?? ''}`.trim() : undefined;
  }
  if (record.res && typeof record.res === 'object') shown.res = (record.res as { statusCode?: unknown }).statusCode;
  if (requestId) shown.reqId = requestId;
  return shown;
}

export function logPrettifier(colorize: boolean): (line: string) => string {
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    // The store keeps its own time for every line; pid and hostname say nothing the [source] tag does not.
    ignore: 'time,pid,hostname,reqId',
    messageFormat: (log, messageKey) => {
      const id = log.reqId === undefined ? '' : `[${String(log.reqId)}] `;
      const message = log[messageKey] ?? log.message ?? '';
      return `${id}${typeof message === 'string' ? message : JSON.stringify(message)}`;
    },
  });
  return (line) => {
    const record = structuredRecord(line);
    if (!record) return line;
    // An error's stack comes on the lines after, indented by pino-pretty, so the next [source] tag still starts a line.
    return pretty(condensed(record)).replace(/[ \t]+$/gm, '').replace(/\n+$/, '');
  };
}
