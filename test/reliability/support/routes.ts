import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface RouteEntry {
  method: string;
  path: string;
}

/**
 * Every route the running app serves, read from fastify's route tree (`printRoutes`), HEAD
 * excepted (fastify derives it from GET). Throws when the tree cannot be read, so a format change
 * fails loudly instead of yielding no routes.
 */
export function routesOf(app: NestFastifyApplication): RouteEntry[] {
  const tree = app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
  const routes: RouteEntry[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (match === null) {
      throw new Error(`unexpected line in fastify's route tree: ${JSON.stringify(line)}`);
    }
    const depth = match[1].length / 4;
    const path = `${depth === 0 ? '' : prefixes[depth - 1]}${match[2]}`;
    prefixes.length = depth;
    prefixes[depth] = path;
    for (const method of match[3]?.split(', ') ?? []) {
      if (method !== 'HEAD') {
        routes.push({ method, path });
      }
    }
  }
  return routes;
}
