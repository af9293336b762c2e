#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/bytes.h"

namespace kube9::base {

Expected<std::string, std::string> ReadFile(const std::string& path, std::size_t max_bytes, FileKind kind) {
  const bool regular_only = kind == FileKind::kRegular;
  // O_NONBLOCK only changes the open of a FIFO (and devices), which are refused right after.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
  if (fd < 0) return Unexpected(std::string(std::strerror(errno)));
  if (regular_only) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return Unexpected(std::string("is not a regular file"));
    }
  }
  std::string content;
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string reason = std::strerror(errno);
      ::close(fd);
      return Unexpected(std::move(reason));
    }
    if (n == 0) break;
    if (static_cast<std::size_t>(n) > max_bytes - content.size()) {
      ::close(fd);
      return Unexpected("is larger than " + FormatBytes(max_bytes));
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

std::string TrimWhitespace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return "";
  return std::string(text.substr(begin, text.find_last_not_of(kSpace) - begin + 1));
}

}  // namespace kube9::base
