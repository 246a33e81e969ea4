# The production image: TypeScript compiled in a build stage, plain `node` at run time (no tsx, no
# compiler, no dev dependencies), on Node 22 LTS, which every dependency supports.

# 1. Compile src/ and workers/ to dist/ (tsconfig.build.json); the migrations go beside them.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
RUN npm run build

# 2. The dependencies the running code needs, without the dev ones.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. What runs: dist/ (with dist/migrations, applied at start under an advisory lock) and node_modules
# (the DejaVu fonts of the fax come from the dejavu-fonts-ttf package, resolved at run time).
FROM node:22-bookworm-slim
WORKDIR /app
# The heap is capped: what a process keeps alive is bounded by its design (an import holds a chunk, a
# fax batch a part, an export streams), but V8 lets garbage pile up to the machine's memory before it
# collects. At a million members an import peaked at 327 MB (web) and 352 MB (worker) uncapped, at 189
# and 202 MB with the old space capped and the same speed. The young generation is capped too (8 MB
# semi-spaces, not 16): the web process idles at about 156 MB instead of 176 and streams a million
# signatures' CSV at 159 MB instead of 194; an import of a million is about 10% slower, 39,000 rows a
# second instead of 45,000 (npm run bench -- scale).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8" \
    FAX_OUTBOX_DIR=/app/var/outbox \
    SPOOL_DIR=/app/var/spool
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# The outbox and the spool exist in the image and belong to `node`, so a volume mounted on one starts
# out owned by the user the process runs as (Docker copies the directory's owner into a new volume).
RUN mkdir -p /app/var/outbox /app/var/spool && chown -R node:node /app/var
USER node
EXPOSE 3000
# `all` runs web and workers in one process; docker-compose.yml runs `web` and `worker` apart.
CMD ["node", "dist/src/server.js", "all"]
