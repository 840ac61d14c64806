# syntax=docker/dockerfile:1
# coordd: build stage compiles TypeScript; the runtime stage carries only dist/ and production deps.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    COORDD_HOST=0.0.0.0 \
    COORDD_PORT=7420
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
# The image listens on all interfaces, so the daemon refuses to start without a token:
# pass COORDD_TOKEN (operator) or mount a tokens file and set COORDD_TOKENS_FILE.
# State lives in /app/data/coordd.db (COORDD_STORE's default, relative to /app): mount a volume there.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 7420
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.COORDD_PORT || 7420) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin/coordd.js"]
