#include "sinks/registration/api_key.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kube9::sinks::registration {
namespace {

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

}  // namespace

ApiKeySource::ApiKeySource(std::string path, std::string key) : path_(std::move(path)), key_(Trim(std::move(key))) {
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
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    problem = "API key file " + path_ + " cannot be read: " + std::strerror(errno);
  } else {
    std::ostringstream content;
    content << in.rdbuf();
    key = Trim(content.str());
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
