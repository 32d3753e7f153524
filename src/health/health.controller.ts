import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { ApiOperation } from '@nestjs/swagger';
import { Public } from '../tenancy/auth.decorators';
import { LifecycleService } from './lifecycle.service';

/** Kubernetes probes. Answers are terminus' own shape, not the envelope. */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** Liveness checks only that the process answers: a database outage must not restart pods. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (no dependency checked)' })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL answers and the replica is not draining' })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    if (this.lifecycle.draining) {
      throw new ServiceUnavailableException({
        status: 'error',
        info: {},
        error: { lifecycle: { status: 'down', message: 'shutting down' } },
        details: { lifecycle: { status: 'down', message: 'shutting down' } },
      });
    }
    return this.health.check([() => this.db.pingCheck('database', { timeout: 1_500 })]);
  }
}
