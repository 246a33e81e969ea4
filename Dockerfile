FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json drizzle.config.ts ./
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
USER node
EXPOSE 3000
CMD ["npx", "tsx", "src/server.ts", "all"]
