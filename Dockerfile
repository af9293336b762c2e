# kube9-operator container image.
#
#   docker build -t kube9-operator:0.1.0 .
#
# Stage 1 builds the release binary with `make release`, the same target `make test` builds
# and smoke-tests outside Docker (Release, no tests; see the Makefile). Stage 2 is distroless:
# glibc, libstdc++, CA certificates and the binary's own shared libraries (libcrypt.so.1, for
# bcrypt, among them: the ldd step below copies it); no shell, no package manager, no
# compilers. It runs as the numeric non-root user 65532.

ARG DEBIAN_RELEASE=bookworm

FROM debian:${DEBIAN_RELEASE} AS build
# The C++ build's packages from scripts/deps.sh (without the test-only ones).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      make cmake ninja-build g++ pkg-config git ca-certificates \
      libssl-dev zlib1g-dev rapidjson-dev libfmt-dev libspdlog-dev \
      libyaml-cpp-dev prometheus-cpp-dev libcrypt-dev libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make release RELEASE_DIR=/build JOBS="$(nproc)"
# The shared libraries the binary links (glibc excepted: the runtime image has the same one),
# copied from the very packages it was built against.
RUN set -eu; \
    libdir="/rootfs/usr/lib/$(gcc -print-multiarch)"; mkdir -p "$libdir" /rootfs/usr/local/bin; \
    ldd /build/kube9-operator | awk '$3 ~ /^\// { print $3 }' \
      | grep -Ev '/(libc|libm|libpthread|libdl|librt|libresolv)\.so' \
      | xargs -r cp -L -t "$libdir"; \
    install -m 0755 /build/kube9-operator /rootfs/usr/local/bin/kube9-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /rootfs/ /
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/kube9-operator"]
CMD ["serve"]
