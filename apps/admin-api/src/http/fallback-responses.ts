import type { Socket } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** A problem+json body, as the problem filter writes it (SPEC 2). */
function problem(status: number, title: string, code: string, detail: string): string {
  return JSON.stringify({ type: `urn:gatehouse:problem:${code.toLowerCase()}`, title, status, detail, code });
}

/**
 * What Nest's router and filter never see still answers problem+json (issue 9, found by the HTTP
 * fuzz suite): paths outside `/api` and `/health` (Express's HTML "Cannot GET /"), paths Express
 * cannot decode (`/%`), and requests Node's HTTP parser refuses before any route (a header or URL
 * over 16 KiB: a bare 431; malformed request lines: a bare 400). Install after `app.init()`, so that
 * the handlers come after every route.
 */
export function installFallbackResponses(app: NestExpressApplication): void {
  const express = app.getHttpAdapter().getInstance() as {
    use(fn: (...args: never[]) => void): void;
  };
  const send = (res: Response, status: number, title: string, code: string, detail: string) => {
    if (res.headersSent) return;
    res
      .status(status)
      .type('application/problem+json')
      .send(problem(status, title, code, detail));
  };
  express.use((_req: Request, res: Response) =>
    send(res, 404, 'not found', 'HTTP.NOT_FOUND', 'no such route'),
  );
  express.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500)
      send(res, status, 'bad request', `HTTP.${status}`, 'malformed request');
    else send(res, 500, 'internal server error', 'INTERNAL', 'internal error');
  });
  const server = app.getHttpServer();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = tooLarge
      ? problem(
          431,
          'request header fields too large',
          'HTTP.HEADERS_TOO_LARGE',
          'request line or headers over 16 KiB',
        )
      : problem(400, 'bad request', 'HTTP.MALFORMED_REQUEST', 'malformed HTTP request');
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}
