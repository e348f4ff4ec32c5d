#!/usr/bin/env node
// Container / supervisor health check: exit 0 when the worker's /healthz (HEALTH_PORT, on
// 127.0.0.1) answers 200, 1 otherwise. Plain JavaScript, no dependencies, ~50 ms.
//   Dockerfile:  HEALTHCHECK CMD ["node", "ops/container/healthcheck.js"]
//   Kubernetes:  livenessProbe: exec: command: ["node", "ops/container/healthcheck.js"]
'use strict';
const port = Number(process.env.HEALTH_PORT || process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('healthcheck: HEALTH_PORT is not set (the worker serves /healthz on it)');
  process.exit(1);
}
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) })
  .then(async (r) => {
    const body = await r.text();
    if (!r.ok) console.error(`healthcheck: unhealthy: ${body}`);
    process.exit(r.ok ? 0 : 1);
  })
  .catch((e) => {
    console.error(`healthcheck: no answer on 127.0.0.1:${port}: ${e.message}`);
    process.exit(1);
  });
