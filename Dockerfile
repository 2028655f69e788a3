# Lantian: one static binary on a small non-root image.
#   docker build -t lantian .
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
# Dependencies first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary that runs on any base image. timetzdata embeds the zone database,
# so Asia/Shanghai works whatever the runtime image carries.
RUN CGO_ENABLED=0 GOFLAGS=-trimpath go build -tags timetzdata \
      -ldflags "-s -w" -o /out/lantian ./cmd/lantian

FROM alpine:3.20
# wget (busybox) serves the health check; ca-certificates for TLS to the broker or InfluxDB.
RUN apk add --no-cache ca-certificates \
 && addgroup -S -g 10001 lantian \
 && adduser -S -D -H -u 10001 -G lantian lantian \
 && mkdir -p /var/lib/lantian /etc/lantian \
 && chown lantian:lantian /var/lib/lantian
COPY --from=build /out/lantian /usr/local/bin/lantian
COPY deploy/lantian.yaml /etc/lantian/lantian.yaml
USER 10001:10001
WORKDIR /var/lib/lantian
ENV LANTIAN_CONFIG=/etc/lantian/lantian.yaml \
    LANTIAN_DATA_DIR=/var/lib/lantian \
    LANTIAN_HTTP_ADDR=0.0.0.0:8080
VOLUME /var/lib/lantian
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/lantian"]
CMD ["run"]
