# SPDX-License-Identifier: GPL-2.0-only
# tests/varlink: an independent Varlink client for stubdmd, built offline
# from Debian's packaged Go source (golang-github-varlink-go-dev): the
# bindings varlink-go-interface-generator makes from io.stubdm.varlink (the
# IDL check: a file it cannot parse fails the build), and the client
# (tests/e2e/t-varlink.sh).  Objects and the Go cache go under build/go.
GO		?= go
GO_DIR		:= build/go
GO_SRC		:= /usr/share/gocode
GO_ENV		= GOPATH=$(abspath $(GO_DIR))/gopath:$(GO_SRC) GO111MODULE=off \
		  GOCACHE=$(abspath $(GO_DIR))/cache GOPROXY=off \
		  GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0
# Debian's varlink-go package ships the generator; without it, it is built
# from the same packaged source.
GO_GEN		:= $(or $(wildcard /usr/bin/varlink-go-interface-generator), \
		   $(GO_DIR)/varlink-go-interface-generator)
GO_BINDINGS	:= $(GO_DIR)/gopath/src/iostubdm/iostubdm.go

$(GO_DIR)/varlink-go-interface-generator:
	@mkdir -p $(dir $@)
	$(GO_ENV) $(GO) build -o $@ \
	    github.com/varlink/go/cmd/varlink-go-interface-generator

$(GO_BINDINGS): stubdmd/io.stubdm.varlink $(GO_GEN)
	@mkdir -p $(dir $@)
	cp stubdmd/io.stubdm.varlink $(dir $@)
	$(GO_GEN) $(dir $@)io.stubdm.varlink

$(GO_DIR)/varlink-client: tests/varlink/client.go $(GO_BINDINGS)
	$(GO_ENV) $(GO) build -o $@ ./tests/varlink

varlink-bins: $(GO_DIR)/varlink-client

.PHONY: varlink-bins
