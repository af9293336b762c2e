#pragma once

#include <string>

#include "base/expected.h"
#include "exporter/endpoints.h"

struct mg_context;
struct mg_connection;

namespace kube9::exporter {

// Serves Endpoints over HTTP with civetweb: a few worker threads, keep-alive, no files.
class HttpServer {
 public:
  // Binds and starts serving; fails with a readable message (e.g. the port is taken).
  static base::Expected<std::unique_ptr<HttpServer>, std::string> Start(const std::string& host, int port,
                                                                        const Endpoints& endpoints);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  explicit HttpServer(const Endpoints& endpoints) : endpoints_(endpoints) {}
  static int Handle(mg_connection* conn, void* self);

  const Endpoints& endpoints_;
  mg_context* ctx_ = nullptr;
};

}  // namespace kube9::exporter
