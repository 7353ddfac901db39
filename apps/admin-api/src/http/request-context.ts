import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { LogFields, logContext } from '@gatehouse/contracts';
import type { NextFunction, Request, Response } from 'express';
import type { AdminMetrics } from '../features/metrics/admin-metrics.service';

/** An incoming `X-Request-Id` we keep (a UUID, a trace id, a ULID…); anything else is replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9_.:+=/-]{1,128}$/;

/** The route label: Express's route template as OpenAPI writes it (`/api/users/{id}`), never the raw path. */
export function routeTemplate(req: Request): string {
  const path = (req as { route?: { path?: unknown } }).route?.path;
  if (typeof path !== 'string') return 'none'; // no route matched: the 404 fallback, the OpenAPI UI's files
  return `${req.baseUrl ?? ''}${path}`.replace(/:(\w+)/g, '{$1}');
}

/**
 * The first middleware of every request (SPEC 6): a request id (a sane incoming `X-Request-Id`, or a
 * new UUID), echoed in the response header and added to every log line written while the request is
 * handled (`logContext`); a debug line when it starts; when the response is done, one line
 * `METHOD path status` and the `gatehouse_http_request_duration_seconds` observation. The path is
 * logged without its query string (which may hold a secret).
 */
export function requestContext(
  metrics: AdminMetrics,
): (req: Request, res: Response, next: NextFunction) => void {
  const logger = new Logger('Http');
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req);
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      metrics.observeHttp(req.method, route, status, seconds);
      logContext.run({ requestId }, () =>
        logger.log(
          `${req.method} ${req.path} ${status}`,
          new LogFields({
            method: req.method,
            path: req.path,
            route,
            status,
            durationMs: Math.round(seconds * 1e6) / 1e3,
          }),
        ),
      );
    };
    res.once('finish', finish);
    res.once('close', finish);
    logContext.run({ requestId }, () => {
      logger.debug(`${req.method} ${req.path}`, new LogFields({ method: req.method, path: req.path }));
      next();
    });
  };
}
