import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { isGenAuthRoute, isUnwrappedRoute, type Envelope } from './envelope';

/** Wraps every successful JSON answer in GenAuth's envelope (health, metrics and docs excepted). */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (isUnwrappedRoute(request.url)) {
      return next.handle();
    }
    return next.handle().pipe(
      map((data: unknown): Envelope => {
        const statusCode = reply.statusCode;
        if (isGenAuthRoute(request.url)) {
          void reply.status(200);
        }
        return { statusCode, message: 'success', requestId: request.id, data: data ?? null };
      }),
    );
  }
}
