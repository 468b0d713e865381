# Build once, run the compiled server (dist/main.js) on a slim image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patch-package applies patches/ at install (npm ci's postinstall).
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json tsconfig.migrations.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Without DATABASE_URL the app keeps an embedded database in ./data/pglite (PGLITE_DATA_DIR):
# made here for the node user, who cannot create it in root's /app, and a volume so the data
# stays out of the container's own layer (a new volume starts with this directory's owner).
RUN mkdir -p /app/data/pglite && chown -R node:node /app/data
VOLUME ["/app/data/pglite"]
USER node
EXPOSE 3000
# 64 MB semi-spaces for young objects, not 16: a busy worker collects garbage half as much.
CMD ["node", "--max-semi-space-size=64", "dist/main.js"]
