#pragma once

#include <string>
#include <string_view>

// The text rules of HTTP header fields (RFC 9110 §5), shared by the server's request parser,
// the client's response reader and transport, and basic auth: one place for each, so that the
// server and the client cannot come to read the same header differently.
namespace kube9::http {

// Field names, schemes and tokens compare without regard to ASCII case (never locale's).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string Lower(std::string_view s);

// Without the optional whitespace (spaces and tabs) around a value or a list element.
std::string_view TrimSpaces(std::string_view s);

// As TrimSpaces, also dropping any CR or LF at the end: for text split at CRLF (a response's
// field lines) or read from the environment, where a stray one counts as whitespace.
std::string_view TrimLine(std::string_view s);

// True when the comma-separated `list` holds `token` (any case), as in `Connection: close`.
bool HasToken(std::string_view list, std::string_view token);

}  // namespace kube9::http
