# RLAR reward service. Build: docker build -t rlar .
# API:    docker run -p 8000:8000 rlar                    (embedded mode, or REDIS_URL=... for distributed)
# Worker: docker run -e REDIS_URL=redis://... rlar worker
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# bubblewrap: the process sandbox for code rewards (candidate programs run inside it), and the toolchain of
# every language code_tests and /run_code run (src/sandbox/program.ts): python3, gcc (C), g++ (C++),
# default-jdk-headless (Java), golang-go (Go), rustc (Rust), bash; JavaScript and TypeScript run on this
# image's own Node.js (TypeScript's types are stripped by the service). python3 is also the interpreter of
# the python tool (add the libraries your reward functions import, e.g. python3-numpy).
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap python3 gcc g++ libc6-dev default-jdk-headless golang-go rustc bash \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY openapi.yaml ./
USER node
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
