#include "exporter/http_server.h"

#include <civetweb.h>

#include <fmt/format.h>

namespace kube9::exporter {

base::Expected<std::unique_ptr<HttpServer>, std::string> HttpServer::Start(const std::string& host, int port,
                                                                           const Endpoints& endpoints) {
  std::unique_ptr<HttpServer> server(new HttpServer(endpoints));
  const std::string ports = host.empty() ? std::to_string(port)
                            : host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                                  : fmt::format("{}:{}", host, port);
  const char* options[] = {"listening_ports", ports.c_str(),
                           "num_threads", "4",  // scrapes and probes are few and short
                           "request_timeout_ms", "10000",
                           "enable_keep_alive", "yes",
                           "tcp_nodelay", "1",  // replies are written whole; never wait for an ACK
                           nullptr};
  mg_callbacks callbacks{};
  mg_init_data init{&callbacks, server.get(), options};
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof(error_text)};
  server->ctx_ = mg_start2(&init, &error);
  if (server->ctx_ == nullptr) {
    return base::Unexpected(fmt::format("cannot listen on {}: {} (is another process using the port, or is the "
                                        "address not local?)",
                                        ports, error_text[0] ? error_text : "unknown error"));
  }
  mg_set_request_handler(server->ctx_, "/", &HttpServer::Handle, server.get());
  return server;
}

HttpServer::~HttpServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

int HttpServer::Handle(mg_connection* conn, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  const mg_request_info* info = mg_get_request_info(conn);
  http::ServerRequest request;
  request.method = info->request_method;
  request.path = info->local_uri ? info->local_uri : "/";
  request.query = info->query_string ? info->query_string : "";
  for (int i = 0; i < info->num_headers; ++i) request.headers.Add(info->http_headers[i].name, info->http_headers[i].value);
  HttpReply reply = server->endpoints_.Handle(request);
  std::string response = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", reply.status,
                                     mg_get_response_code_text(conn, reply.status), reply.content_type,
                                     reply.body.size());
  for (const auto& [k, v] : reply.headers) response += fmt::format("{}: {}\r\n", k, v);
  response += "\r\n";
  // One write for head and body: two small writes on a keep-alive connection meet the
  // client's delayed ACK (Nagle) and cost ~40 ms.
  if (std::string_view(info->request_method) != "HEAD") response += reply.body;
  mg_write(conn, response.data(), response.size());
  return reply.status;
}

}  // namespace kube9::exporter
