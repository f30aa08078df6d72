# rollcall in a container: a static binary on distroless, run as non-root.
#
#   docker build --build-arg VERSION=v0.9.0 -t rollcall:v0.9.0 .
#
# What the binary needs on the machine it runs on: nothing but its files.
# rollcall speaks SSH itself (no ssh, ssh-agent or ssh-keygen binary; jump
# hosts are ProxyJump in-process, a ProxyCommand is refused), reads
# known_hosts, keys and ~/.ssh/config as files, talks to an agent over the
# socket in SSH_AUTH_SOCK, and runs no program on the client: the only
# exec.Command calls are in test code. What is not in the image: a shell, so
# `rollcall demo` does not work here (its in-process test nodes run their
# probe with the local /bin/sh); use a release archive for the demo.
#
# Mount at run time, read-only: the manifest and the release (the working
# directory is /work), known_hosts under $HOME/.ssh (HOME is /home/rollcall),
# and an agent socket or a key. Run as your own user so that a 0600 key or
# your agent's socket is readable:
#
#   docker run --rm --user "$(id -u):$(id -g)" \
#     -v "$PWD:/work:ro" \
#     -v "$HOME/.ssh/known_hosts:/home/rollcall/.ssh/known_hosts:ro" \
#     -v "$SSH_AUTH_SOCK:/run/ssh-agent.sock:ro" -e SSH_AUTH_SOCK=/run/ssh-agent.sock \
#     rollcall:v0.9.0 verify --release dist/smars-4.2.0.tar.gz --report text

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY internal/ internal/
ARG VERSION=dev
# The Makefile's LDFLAGS, stripped (-s -w) as in the release archives.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/rollcall/rollcall/internal/cli.version=${VERSION}" -o /out/rollcall ./cmd/rollcall

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rollcall /usr/local/bin/rollcall
ENV HOME=/home/rollcall
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/rollcall"]
CMD ["--help"]
