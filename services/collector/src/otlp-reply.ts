/**
 * The OTLP/HTTP answer (decoder reply `otlp`): what OpenTelemetry exporters expect, in the encoding they sent. Every
 * record good → 200 with an empty ExportLogsServiceResponse; some refused → 200 with `partialSuccess` counting them
 * and naming the first (the good ones are stored: an exporter does not retry a 200, so nothing is stored twice and
 * nothing good is lost); none good → 400 with Bulwark's error body, which exporters treat as not retryable.
 */
import type { Response } from 'express';
import { encodeOtlpResponse } from '@bulwark/ingest';
import type { LogStore } from '@bulwark/store';
import type { DecodeOutcome } from './decode-task.js';
import { answerIngest, ingestDecoded } from './ingest.js';

export async function answerOtlp(res: Response, store: LogStore, outcome: DecodeOutcome, protobufBody: boolean): Promise<void> {
  const summary = await ingestDecoded(store, outcome);
  if (summary.rejected > 0 && summary.accepted === 0) {
    answerIngest(res, summary);
    return;
  }
  const first = summary.errors[0];
  const message = first ? `record ${first.index}${first.field ? ` field ${first.field}` : ''}: ${first.message}` : '';
  const { body, type } = encodeOtlpResponse(protobufBody, summary.rejected, message);
  res.status(200).type(type).send(body);
}
