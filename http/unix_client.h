#pragma once

#include <sys/un.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/expected.h"
#include "http/transport.h"

// A GET over a Unix socket, for `kube9-operator probe`: the pod's exec probe asks the operator
// it runs beside on its probe socket (ServerOptions::probe_socket). One request, one
// connection, plain HTTP/1.1.
namespace kube9::http {

// `path` as a Unix socket's address (the server's probe socket and this client's); nullopt when
// it is empty or longer than an address holds (107 bytes).
std::optional<sockaddr_un> UnixSocketAddress(std::string_view path);

// The response to `GET target` on the socket at `path` within `timeout` (connect, request and
// the whole response), its body at most 64 KiB; or why there is none, naming the socket.
base::Expected<Response, std::string> GetOverUnixSocket(const std::string& path, std::string_view target,
                                                        base::Millis timeout);

}  // namespace kube9::http
