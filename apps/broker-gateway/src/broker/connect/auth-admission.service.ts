import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';

/** The wait queue is full: the CONNECT is refused at once with CONNACK 3 (ADR 0100). */
export class AuthQueueFullError extends Error {
  readonly code = 'GATEWAY.AUTH_QUEUE_FULL';
  constructor(waiting: number) {
    super(`authentication queue full (${waiting} waiting)`);
    this.name = 'AuthQueueFullError';
  }
}

/** Every client waiting for this authentication disconnected before its turn: nothing was sent. */
export class AuthAbandonedError extends Error {
  readonly code = 'GATEWAY.AUTH_ABANDONED';
  constructor() {
    super('client disconnected while waiting for authentication');
    this.name = 'AuthAbandonedError';
  }
}

interface Waiter {
  task: () => Promise<unknown>;
  abandoned: () => boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Admission control for authentications sent to admin-api (ADR 0100): at most `MQTT_AUTH_CONCURRENCY`
 * in flight from this gateway, the rest wait in a FIFO bounded by `MQTT_AUTH_QUEUE_MAX`. admin-api
 * verifies a few dozen argon2 hashes per second by design; sending a storm of CONNECTs at once only made
 * every request miss its deadline while admin-api still hashed it. The request's deadline
 * (`IDENTITY_TIMEOUT_MS`) starts when it is sent, not while it waits here, and a waiter whose clients
 * are gone is dropped at its turn without asking admin-api.
 */
@Injectable()
export class AuthAdmission {
  private inFlight = 0;
  private queue: (Waiter | undefined)[] = [];
  private head = 0;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  /** Authentications sent to admin-api and not answered yet. */
  get active(): number {
    return this.inFlight;
  }

  /** Authentications waiting for a slot (clients already gone included until their turn). */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /**
   * Runs `task` when a slot is free. Rejects with {@link AuthQueueFullError} when the queue is full and
   * with {@link AuthAbandonedError} (without running `task`) when `abandoned()` is true at its turn.
   */
  run<T>(task: () => Promise<T>, abandoned: () => boolean): Promise<T> {
    if (this.inFlight < this.config.authConcurrency && this.waiting === 0) return this.start(task);
    if (this.waiting >= this.config.authQueueMax) return Promise.reject(new AuthQueueFullError(this.waiting));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ task, abandoned, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.inFlight++;
    let promise: Promise<T>;
    try {
      promise = task();
    } catch (err) {
      promise = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return promise.finally(() => {
      this.inFlight--;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.config.authConcurrency && this.waiting > 0) {
      const w = this.shift();
      let gone: boolean;
      try {
        gone = w.abandoned();
      } catch {
        gone = true;
      }
      if (gone) {
        w.reject(new AuthAbandonedError());
        continue;
      }
      this.start(w.task).then(w.resolve, w.reject);
    }
  }

  private shift(): Waiter {
    const w = this.queue[this.head] as Waiter;
    this.queue[this.head++] = undefined;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return w;
  }
}
