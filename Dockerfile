# The safemigrate container image. It adds nothing that `make release` has
# not built and tested: dist/rootfs-<arch>/ is the image's whole file tree
# (the static binary, CA certificates, /etc/passwd with the non-root user
# 65532, an empty /work), and internal/release runs `safemigrate version`
# and `lint` in exactly that tree, chrooted, as that user.
#
#   make release
#   docker buildx build --platform linux/amd64,linux/arm64 -t safemigrate .
#   docker run --rm -v "$PWD/migrations:/work/migrations:ro" safemigrate lint
FROM scratch
ARG TARGETARCH=amd64
COPY dist/rootfs-${TARGETARCH}/ /
ENV PATH=/usr/local/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["safemigrate"]
CMD ["--help"]
