#include "sinks/registration/api_key.h"

#include "base/file.h"

namespace kube9::sinks::registration {
namespace {

// API keys are short tokens; a mounted file larger than this is not one (and is never read
// whole into memory every 5 s).
constexpr std::size_t kMaxApiKeyFileBytes = 64u << 10;

}  // namespace

ApiKeySource::ApiKeySource(std::string path, std::string key) : path_(std::move(path)), key_(base::TrimWhitespace(key)) {
  if (path_.empty() && key_.empty()) problem_ = "the API key is empty";
}

ApiKeySource::ApiKeySource(ApiKeySource&& other) noexcept
    : path_(other.path_), key_(std::move(other.key_)), problem_(std::move(other.problem_)) {}

ApiKeySource ApiKeySource::FromFile(std::string path) {
  ApiKeySource source(std::move(path), "");
  source.Refresh();
  return source;
}

ApiKeySource ApiKeySource::FromValue(std::string key) { return ApiKeySource("", std::move(key)); }

bool ApiKeySource::Refresh() {
  if (path_.empty()) return false;
  std::string key, problem;
  if (auto content = base::ReadFile(path_, kMaxApiKeyFileBytes); !content.ok()) {
    problem = "API key file " + path_ + " cannot be read: " + content.error();
  } else {
    key = base::TrimWhitespace(*content);
    if (key.empty()) problem = "API key file " + path_ + " is empty";
  }
  std::lock_guard lock(mu_);
  const bool changed = key != key_;
  key_ = std::move(key);
  problem_ = std::move(problem);
  return changed;
}

std::optional<std::string> ApiKeySource::Current() const {
  std::lock_guard lock(mu_);
  if (key_.empty()) return std::nullopt;
  return key_;
}

std::string ApiKeySource::Problem() const {
  std::lock_guard lock(mu_);
  return problem_;
}

}  // namespace kube9::sinks::registration
