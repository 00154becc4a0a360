# syntax=docker/dockerfile:1

# Build: a static binary (no cgo, so RS256 tokens are signed by Go's crypto/rsa rather than
# OpenSSL; see internal/rsasign), templates, static files and migrations embedded.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/lockstep ./cmd/lockstep

# Run: distroless static (CA certificates and tzdata, no shell), as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lockstep /usr/local/bin/lockstep
USER nonroot:nonroot
ENV LOCKSTEP_LISTEN=:8080
EXPOSE 8080
ENTRYPOINT ["lockstep"]
CMD ["serve"]
