#pragma once

#include <mutex>
#include <optional>
#include <string>

// The Pro tier API key: from a file (a mounted Secret, which Kubernetes swaps in place when the
// Secret is rotated) or a fixed value (env API_KEY). Held only to authenticate; never logged.
namespace kube9::sinks::registration {

class ApiKeySource {
 public:
  static ApiKeySource FromFile(std::string path);
  static ApiKeySource FromValue(std::string key);

  ApiKeySource(ApiKeySource&& other) noexcept;

  // Re-reads the file. True when the key differs from what the last call saw (including
  // appearing or disappearing). A fixed value never changes.
  bool Refresh();
  // The key, trimmed of surrounding whitespace; nullopt when there is none.
  std::optional<std::string> Current() const;
  // Why there is no key, for the status ("API key file /x cannot be read: ..."); "" when there is one.
  std::string Problem() const;

 private:
  ApiKeySource(std::string path, std::string key);

  const std::string path_;  // empty for a fixed value
  mutable std::mutex mu_;
  std::string key_;
  std::string problem_;
};

}  // namespace kube9::sinks::registration
