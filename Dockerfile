# syntax=docker/dockerfile:1
# The Spillway controller image: `spillway run` (node src/cli/main.ts run).
#
#   docker build -t <registry>/spillway:0.1.0 .
#
# Node 24 strips TypeScript types natively, so the image ships src/ as it is in the repository (no build
# step); Node refuses to strip types only under node_modules, and src/ is not. The dependencies are
# installed exactly as CI installs them (`npm ci`), production ones only. The final stage has no shell
# and no package manager: distroless, running as a non-root user. test/deploy/dockerfile.test.ts lints
# this file and checks these properties.

# The Node version the tests run on (package.json devDependency `node`).
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
# Fail the build, not the pod, if the entry point cannot load with production dependencies only.
RUN node src/cli/main.ts --help > /dev/null

# glibc and libstdc++ for the official Node binary, nothing else: no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src ./src
ENV NODE_ENV=production
# distroless's nonroot user.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/node", "/app/src/cli/main.ts"]
CMD ["run"]
